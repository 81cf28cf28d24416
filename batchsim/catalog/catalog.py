"""Look up instance types, expand families and AWS Batch's special ``instanceTypes`` values.

:func:`load_catalog` reads the packaged us-east-1 data once; :meth:`Catalog.with_custom` layers a
scenario's custom types on top without touching the shared instance.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources

from batchsim.catalog.instance_types import CustomTypeSpec, InstanceType, from_csv_row, from_custom
from batchsim.errors import UnknownInstanceType

#: Name of the packaged CSV inside ``batchsim/catalog/data/``.
DATA_FILE = "ec2_us-east-1.csv"

#: Where the packaged data comes from, on one line (printed by ``batchsim catalog``).
CATALOG_SOURCE = (
    "EC2 us-east-1 Linux on-demand list prices of 2026-07-20 and specs from aws/karpenter-provider-aws "
    "(Apache-2.0); Spot savings and interruption buckets from the AWS Spot Instance Advisor, 2025-06"
)

_X86_64_DEFAULT = ("m6i", "c6i", "r6i", "c7i")
_ARM64_DEFAULT = ("m6g", "c6g", "r6g", "c7g")

#: The special ``instanceTypes`` values and the families each stands for.
SPECIAL_VALUES: dict[str, tuple[str, ...]] = {
    "optimal": _X86_64_DEFAULT,
    "default_x86_64": _X86_64_DEFAULT,
    "default_arm64": _ARM64_DEFAULT,
}


def _price_order(itype: InstanceType) -> tuple[float, float, str]:
    return (itype.on_demand_price_per_hour, itype.vcpus, itype.name)


def _size_order(itype: InstanceType) -> tuple[float, int, str]:
    return (itype.vcpus, itype.memory_mib, itype.name)


class Catalog:
    """An immutable set of instance types, indexed by name and by family.

    Build it from any iterable of :class:`InstanceType`; when two share a name, the later one
    wins (this is how a custom type shadows a packaged one).
    """

    def __init__(self, types: Iterable[InstanceType]):
        self._by_name: dict[str, InstanceType] = {t.name: t for t in types}
        families: defaultdict[str, list[InstanceType]] = defaultdict(list)
        for itype in self._by_name.values():
            families[itype.family].append(itype)
        self._families = dict(families)

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> InstanceType | None:
        """Return the type called ``name`` (exact, case-sensitive), or ``None``."""
        return self._by_name.get(name)

    def require(self, name: str) -> InstanceType:
        """Return the type called ``name``, which the scenario's checks found in this catalog.

        Raises :class:`UnknownInstanceType` (with close matches) if there is none.
        """
        found = self._by_name.get(name)
        if found is None:
            raise UnknownInstanceType(name, self._suggest(name))
        return found

    def family(self, family: str) -> list[InstanceType]:
        """Return every size of ``family`` except bare metal, sorted by (vCPUs, memory).

        AWS Batch excludes ``.metal`` sizes when a compute environment names a family. An unknown
        family gives an empty list.
        """
        members = self._families.get(family, [])
        return sorted((t for t in members if not t.is_metal), key=_size_order)

    def all(self) -> list[InstanceType]:
        """Return every type, metal included, sorted by name."""
        return sorted(self._by_name.values(), key=lambda t: t.name)

    def resolve(self, entries: list[str]) -> list[InstanceType]:
        """Expand a compute environment's ``instanceTypes`` into concrete types.

        Each entry is an exact type (``'m5.large'``, metal allowed), a family (``'c5'``: every
        size but metal) or a special value: ``'default_x86_64'`` means the m6i, c6i, r6i and c7i
        families and ``'default_arm64'`` the m6g, c6g, r6g and c7g families. ``'optimal'`` once
        meant the C4/M4/R4 generation, but AWS made it behave like ``default_x86_64`` from
        2025-11-01, and batchsim models that current behaviour. An exact name wins over a family
        of the same name. The result is deduplicated and sorted by (price, vCPUs, name).

        Raises :class:`UnknownInstanceType`, naming the entry and suggesting close matches.
        """
        found: dict[str, InstanceType] = {}
        for entry in entries:
            for itype in self._expand(entry):
                found[itype.name] = itype
        return sorted(found.values(), key=_price_order)

    def priorities(self, entries: list[str]) -> dict[str, int]:
        """Return each type of :meth:`resolve` mapped to the position of the ``instanceTypes``
        entry that lists it (0 first), for the ordered allocation strategies.

        AWS: an exact type keeps its own position and is left out of its family's expansion
        (in ``[m7a.4xlarge, m7a]`` the 4xlarge comes first, the other m7a sizes second); a type
        that two entries expand to takes the earlier one.
        """
        exact = {entry for entry in entries if entry in self._by_name}
        ranks: dict[str, int] = {}
        for position, entry in enumerate(entries):
            for itype in self._expand(entry):
                if entry == itype.name or itype.name not in exact:
                    ranks.setdefault(itype.name, position)
        return ranks

    def with_custom(self, custom: Iterable[CustomTypeSpec]) -> Catalog:
        """Return a new catalog holding these types plus ``custom`` (scenario-defined types).

        Each custom object has the fields of ``CustomInstanceType`` in the scenario schema; its
        family is the text before the first ``'.'``. A custom type replaces a packaged type of
        the same name. This catalog is left unchanged.
        """
        return Catalog([*self._by_name.values(), *(from_custom(c) for c in custom)])

    def _expand(self, entry: str) -> list[InstanceType]:
        exact = self._by_name.get(entry)
        if exact is not None:
            return [exact]
        if entry in SPECIAL_VALUES:
            return [t for fam in SPECIAL_VALUES[entry] for t in self.family(fam)]
        members = self.family(entry)
        if not members:
            raise UnknownInstanceType(entry, self._suggest(entry))
        return members

    def _suggest(self, entry: str) -> list[str]:
        candidates = [*self._by_name, *self._families, *SPECIAL_VALUES]
        return difflib.get_close_matches(entry, candidates, n=3)


def parse_csv(text: str) -> Catalog:
    """Build a :class:`Catalog` from the text of a CSV in the packaged format."""
    return Catalog(from_csv_row(row) for row in csv.DictReader(io.StringIO(text)))


@cache
def load_catalog() -> Catalog:
    """Return the packaged us-east-1 catalog (read once per process; see :data:`CATALOG_SOURCE`)."""
    data = resources.files("batchsim.catalog") / "data" / DATA_FILE
    return parse_csv(data.read_text(encoding="utf-8"))
