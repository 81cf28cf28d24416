"""Build a :class:`SweepSpec` from a sweep file or from ``--vary`` options, every problem at once.

A sweep file is YAML with the keys ``scenario`` (a scenario file, relative to the sweep file),
``set`` (``PATH=VALUE`` overrides for every point), ``vary`` (path → values), ``zip`` (a list
of path → values mappings whose paths move together), ``sample: {latin: N}``,
``replications``, ``seed`` and ``targets`` (``deadline``, ``maxWaitP95``, ``budget``).
Problems are raised together as one :class:`SweepError`, each with its path and line.

A PATH is written as for ``--set``; a bare key that is not a top-level scenario key
(``maxvCpus``) stands for the one place in the scenario that has it.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batchsim.errors import Problem, ScenarioError, SweepError
from batchsim.scenario.loader import parse_scenario
from batchsim.scenario.overrides import apply_one, apply_overrides
from batchsim.scenario.units import parse_duration
from batchsim.scenario.yamlmap import Selector, YamlDoc, format_path, load_yaml, parse_path
from batchsim.sweeps.spec import Factor, SweepSpec, Targets
from batchsim.sweeps.values import Span, Values, parse_values, values_from_yaml

KEYS = ("scenario", "set", "vary", "zip", "sample", "replications", "seed", "targets")
"""The keys a sweep file may have."""
TARGET_KEYS = ("deadline", "maxWaitP95", "budget")


def is_sweep_file(text: str) -> bool:
    """Whether the YAML ``text`` is a sweep file (a ``scenario`` key, no compute environments)."""
    doc, _ = load_yaml(text)
    data = doc.data if doc is not None else None
    return isinstance(data, dict) and "scenario" in data and "computeEnvironments" not in data


# ----------------------------------------------------------------------------- paths
def _names(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return []
    return [
        v for k, v in item.items() if isinstance(k, str) and (k == "name" or k.endswith("Name"))
    ]


def _places(node: Any, key: str, here: tuple = ()) -> list[tuple]:
    """Every path below ``node`` that ends in the mapping key ``key`` (list items by name)."""
    found: list[tuple] = []
    if isinstance(node, dict):
        for child_key, child in node.items():
            path = (*here, child_key)
            found += [path] if child_key == key else _places(child, key, path)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            names = _names(item)
            unique = len(names) == 1 and sum(names[0] in _names(o) for o in node) == 1
            found += _places(item, key, (*here, Selector(names[0]) if unique else index))
    return found


def resolve_path(data: dict, text: str) -> str:
    """Return the full PATH ``text`` stands for in the scenario ``data``.

    Raises ``ValueError`` for a path that cannot be read, or a bare key found in no place or
    in several places of the scenario.
    """
    path = parse_path(text.strip())
    if len(path) != 1 or not isinstance(path[0], str) or isinstance(path[0], Selector):
        return format_path(path)
    if path[0] in data:
        return path[0]
    places = _places(data, path[0])
    if len(places) == 1:
        return format_path(places[0])
    if not places:
        raise ValueError(f"no key {text!r} in the scenario; write its full path, e.g. a.b[0].c")
    shown = ", ".join(format_path(place) for place in places)
    raise ValueError(f"{text!r} is in several places ({shown}); write the one you mean")


# ----------------------------------------------------------------------------- building
class _Builder:
    """Collects the factors and problems of one spec."""

    def __init__(self, data: dict, doc: YamlDoc | None = None):
        self.data, self.doc = data, doc
        self.problems: list[Problem] = []
        self.factors: list[Factor] = []

    def problem(self, where: tuple | str, message: str) -> None:
        """Record a problem at a sweep-file path (with its line) or an option."""
        if isinstance(where, str):
            self.problems.append(Problem(where, message))
            return
        line = self.doc.line_of(where) if self.doc is not None else None
        self.problems.append(Problem(format_path(where), message, line))

    def factor(self, where: tuple | str, written: Sequence[str], values: Sequence[Values]) -> None:
        """Add a factor of the paths ``written`` (one values list each) if they are usable."""
        try:
            paths = tuple(resolve_path(self.data, text) for text in written)
            self._check(paths, values)
        except ValueError as error:
            self.problem(where, str(error))
            return
        if isinstance(values[0], Span):
            self.factors.append(Factor(paths, span=values[0]))
        else:
            self.factors.append(Factor(paths, tuple(zip(*values, strict=True))))

    def _check(self, paths: tuple[str, ...], values: Sequence[Values]) -> None:
        taken = {path for factor in self.factors for path in factor.paths}
        for path in paths:
            if path in taken:
                raise ValueError(f"{path} is swept twice")
            apply_one(copy.deepcopy(self.data), f"{path}=null")  # can the path be followed?
        if len(paths) > 1 and len({len(v) if isinstance(v, list) else -1 for v in values}) > 1:
            raise ValueError("zipped paths need lists of the same length")
        if len(paths) > 1 and any(isinstance(v, Span) for v in values):
            raise ValueError("a continuous range cannot be zipped; give a step")


def _scenario_data(text: str, source: str, overrides: Sequence[str]) -> dict:
    """Validate the base scenario (ScenarioError lists its problems) and return its data."""
    parse_scenario(text, source, overrides)
    doc, _ = load_yaml(text)
    assert doc is not None  # parse_scenario succeeded
    apply_overrides(doc.data, list(overrides))
    return doc.data


def _finish(builder: _Builder, where: str, **fields: Any) -> SweepSpec:
    spans = [f for f in builder.factors if f.span is not None]
    if spans and fields.get("latin") is None:
        builder.problem("vary", f"{spans[0].paths[0]}: a range without a step (a..b) is only "
                        "for sample: {latin: N}; give a step, a..b+s or a..b*f")  # fmt: skip
    if fields.get("latin") is not None and not builder.factors:
        builder.problem("sample", "Latin sampling needs at least one swept path")
    if builder.problems:
        raise SweepError(builder.problems, where)
    return SweepSpec(factors=tuple(builder.factors), **fields)


def spec_from_options(
    scenario: str | Path,
    vary: Sequence[str],
    replications: int = 10,
    seed: int = 1,
    overrides: Sequence[str] = (),
    targets: Targets | None = None,
    latin: int | None = None,
) -> SweepSpec:
    """Return the spec of ``--vary PATH=VALUES`` options (see :mod:`batchsim.sweeps.values`).

    Raises ScenarioError for an invalid scenario, SweepError for unusable ``vary`` options.
    """
    text = _read_scenario(Path(scenario))
    builder = _Builder(_scenario_data(text, str(scenario), overrides))
    for assignment in vary:
        where = f"--vary {assignment!r}"
        path, sep, values_text = assignment.partition("=")
        try:
            if not sep or not path.strip():
                raise ValueError("expected PATH=VALUES, e.g. maxvCpus=64,128")
            values = parse_values(values_text)
        except ValueError as error:
            builder.problem(where, str(error))
            continue
        builder.factor(where, [path], [values])
    return _finish(builder, str(scenario), scenario_text=text, source=str(scenario),
                   replications=replications, seed=seed, latin=latin,
                   overrides=tuple(overrides), targets=targets or Targets())  # fmt: skip


def _read_scenario(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem("", f"{path}: cannot be read ({error})")], str(path)) from None


# ----------------------------------------------------------------------------- sweep files
def load_sweep_file(path: str | Path, overrides: Sequence[str] = ()) -> SweepSpec:
    """Read the sweep file at ``path``; ``overrides`` are added after the file's ``set``.

    Raises SweepError listing every problem of the file, ScenarioError for its scenario.
    """
    path = Path(path)
    doc, problems = load_yaml(_read_scenario(path))
    if doc is None or problems:
        raise SweepError(problems, str(path))
    data = doc.data
    early = _Builder({}, doc)
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(KEYS)}"
            early.problem((key,), f"unknown key {key!r}{hint}")
    settings = _settings(data, early)
    if not isinstance(data.get("scenario"), str):
        early.problem(("scenario",), "required: the scenario file, relative to this file")
    if early.problems:
        raise SweepError(early.problems, str(path))
    scenario = path.parent / data["scenario"]
    text = _read_scenario(scenario)
    every = (*settings.pop("set"), *overrides)
    builder = _Builder(_scenario_data(text, str(scenario), every), doc)
    _file_factors(data, builder)
    return _finish(builder, str(path), scenario_text=text, source=str(scenario),
                   overrides=every, **settings)  # fmt: skip


def _file_factors(data: dict, builder: _Builder) -> None:
    vary = data.get("vary") or {}
    if not isinstance(vary, dict):
        builder.problem(("vary",), "expected a mapping of PATH: values")
        vary = {}
    for key, node in vary.items():
        values = _values(builder, ("vary", key), node)
        if values is not None:
            builder.factor(("vary", key), [str(key)], [values])
    zips = data.get("zip") or []
    if not isinstance(zips, list):
        builder.problem(("zip",), "expected a list of mappings of PATH: values")
        zips = []
    for index, group in enumerate(zips):
        if not isinstance(group, dict) or not group:
            builder.problem(("zip", index), "expected a mapping of PATH: values")
            continue
        lists = [_values(builder, ("zip", index, key), node) for key, node in group.items()]
        present = [values for values in lists if values is not None]
        if len(present) == len(lists):
            builder.factor(("zip", index), [str(k) for k in group], present)


def _values(builder: _Builder, where: tuple, node: Any) -> Values | None:
    try:
        return values_from_yaml(node)
    except ValueError as error:
        builder.problem(where, str(error))
        return None


def _whole(builder: _Builder, data: dict, where: tuple, least: int, default: int | None) -> Any:
    value = data.get(where[-1], default)
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or value < least
    ):
        builder.problem(where, f"must be a whole number ≥ {least}, got {value!r}")
    return value


def _settings(data: dict, builder: _Builder) -> dict[str, Any]:
    """Return set, replications, seed, latin and targets, recording problems in ``builder``."""
    overrides = data.get("set") or []
    if not isinstance(overrides, list) or not all(isinstance(s, str) for s in overrides):
        builder.problem(("set",), "expected a list of PATH=VALUE strings")
        overrides = []
    sample = data.get("sample") or {}
    if not isinstance(sample, dict) or set(sample) - {"latin"}:
        builder.problem(("sample",), "expected {latin: N}")
        sample = {}
    return {
        "set": tuple(overrides),
        "replications": _whole(builder, data, ("replications",), 1, 10),
        "seed": _whole(builder, data, ("seed",), 0, 1),
        "latin": _whole(builder, sample, ("sample", "latin"), 1, None),
        "targets": _targets(data.get("targets"), builder),
    }


def _targets(node: Any, builder: _Builder) -> Targets:
    if node is None:
        return Targets()
    if not isinstance(node, dict) or set(node) - set(TARGET_KEYS):
        builder.problem(("targets",), f"expected a mapping with {', '.join(TARGET_KEYS)}")
        return Targets()
    found: dict[str, float | None] = {}
    for key, parse in (
        ("deadline", parse_duration),
        ("maxWaitP95", parse_duration),
        ("budget", _usd),
    ):
        try:
            found[key] = None if key not in node else parse(node[key])
        except ValueError as error:
            builder.problem(("targets", key), str(error))
    return Targets(found.get("deadline"), found.get("maxWaitP95"), found.get("budget"))


def _usd(value: Any) -> float:
    """Return a budget in dollars: a number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"a budget is a number of dollars ≥ 0, got {value!r}")
    return float(value)
