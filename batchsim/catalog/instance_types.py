"""One EC2 instance type: its shape, its on-demand price and its Spot Advisor figures.

The packaged CSV (see ``data/README.md``) and a scenario's ``customInstanceTypes`` both become
:class:`InstanceType` values; nothing else in batchsim reads the CSV columns directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

_T = TypeVar("_T")

#: Spot Advisor interruption buckets ("r" index -> monthly interruption frequency).
INTERRUPTION_LABELS: dict[int, str] = {0: "<5%", 1: "5-10%", 2: "10-15%", 3: "15-20%", 4: ">20%"}

#: Columns of the packaged CSV, in file order.
CSV_COLUMNS: tuple[str, ...] = (
    "instance_type",
    "family",
    "vcpu",
    "memory_mib",
    "gpu_count",
    "gpu_name",
    "arch",
    "ondemand_linux_usd_per_hour",
    "spot_savings_pct",
    "spot_interruption_index",
)


@dataclass(frozen=True, slots=True)
class InstanceType:
    """An EC2 instance type as batchsim sees it.

    ``memory_mib`` is the nominal instance memory (before ECS/OS reservation), the price is the
    us-east-1 Linux on-demand list price in USD per hour, ``spot_savings_pct`` is the Spot
    Advisor's typical saving versus on-demand (``None`` when the advisor has no entry) and
    ``interruption_bucket`` its monthly interruption bucket 0..4 (see :data:`INTERRUPTION_LABELS`).
    ``custom`` marks a type defined by a scenario rather than the packaged catalog. ``vcpus`` is
    whole for every EC2 type; only the synthetic type of a Fargate task holds a fraction (0.25).
    """

    name: str
    family: str
    vcpus: int | float  # NOTE: not `float`, which mypyc would store as 16.0 (see setup.py)
    memory_mib: int
    gpus: int
    architecture: str
    on_demand_price_per_hour: float
    spot_savings_pct: float | None
    interruption_bucket: int | None
    gpu_name: str | None = None
    custom: bool = False

    @property
    def price_per_vcpu_hour(self) -> float:
        """On-demand USD per vCPU-hour."""
        return self.on_demand_price_per_hour / self.vcpus

    @property
    def is_metal(self) -> bool:
        """True for bare-metal sizes (``c5.metal``, ``c7i.metal-24xl``), which families exclude."""
        _, _, size = self.name.partition(".")
        return size.startswith("metal")

    @property
    def interruption_label(self) -> str | None:
        """The Spot Advisor label of :attr:`interruption_bucket` (``'<5%'`` …), or ``None``."""
        if self.interruption_bucket is None:
            return None
        return INTERRUPTION_LABELS[self.interruption_bucket]


class CustomTypeSpec(Protocol):
    """What :func:`from_custom` reads: the fields of ``batchsim.scenario.schema.CustomInstanceType``.

    The fields are read-only properties so that the frozen model, whose ``architecture`` and
    ``interruptionBucket`` are narrower ``Literal`` types, matches.
    """

    @property
    def instanceType(self) -> str: ...
    @property
    def vcpus(self) -> int: ...
    @property
    def memory(self) -> float: ...
    @property
    def gpus(self) -> int: ...
    @property
    def architecture(self) -> str: ...
    @property
    def onDemandPricePerHour(self) -> float: ...
    @property
    def spotSavingsPercent(self) -> float | None: ...
    @property
    def interruptionBucket(self) -> int | None: ...


def family_of(name: str) -> str:
    """Return the family of an instance type name: the text before the first ``'.'``."""
    return name.partition(".")[0]


def _optional(convert: Callable[[Any], _T], value: object) -> _T | None:
    """Apply ``convert`` unless ``value`` is unset (``None`` or an empty CSV cell)."""
    return None if value is None or value == "" else convert(value)


def from_csv_row(row: Mapping[str, str]) -> InstanceType:
    """Build an :class:`InstanceType` from one row of the packaged CSV (strings, empty = unset)."""
    return InstanceType(
        name=row["instance_type"],
        family=row["family"],
        vcpus=int(row["vcpu"]),
        memory_mib=int(row["memory_mib"]),
        gpus=int(row["gpu_count"]),
        architecture=row["arch"],
        on_demand_price_per_hour=float(row["ondemand_linux_usd_per_hour"]),
        spot_savings_pct=_optional(float, row["spot_savings_pct"]),
        interruption_bucket=_optional(int, row["spot_interruption_index"]),
        gpu_name=row["gpu_name"] or None,
    )


def from_custom(custom: CustomTypeSpec) -> InstanceType:
    """Build an :class:`InstanceType` from a scenario's ``CustomInstanceType``.

    ``memory`` may be a float number of MiB; it is truncated to whole MiB so that a type never
    offers more memory than was declared.
    """
    name = custom.instanceType
    return InstanceType(
        name=name,
        family=family_of(name),
        vcpus=int(custom.vcpus),
        memory_mib=int(custom.memory),
        gpus=int(custom.gpus),
        architecture=custom.architecture,
        on_demand_price_per_hour=float(custom.onDemandPricePerHour),
        spot_savings_pct=_optional(float, custom.spotSavingsPercent),
        interruption_bucket=_optional(int, custom.interruptionBucket),
        custom=True,
    )
