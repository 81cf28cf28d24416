"""``--set PATH=VALUE`` overrides, applied to the loaded YAML data before validation.

A PATH is dotted with list indices or name selectors in brackets:
``computeEnvironments[0].computeResources.maxvCpus`` or
``computeEnvironments[od].computeResources.maxvCpus``, where ``[od]`` picks the list item whose
``name`` or ``…Name`` field (``computeEnvironmentName``, ``jobQueueName``, …) is ``od``. VALUE is
read as YAML, so ``128`` is an int, ``[c5, m5]`` a list, ``90s`` a string and an empty VALUE null.
The schema validates the result afterwards, exactly as if the user had edited the file.
"""

from __future__ import annotations

from typing import Any

import yaml

from batchsim.errors import OverridePathError as _BadPath
from batchsim.errors import Problem
from batchsim.scenario.yamlmap import (
    Path,
    PathKey,
    Selector,
    format_path,
    load_value,
    parse_path,
)


def _names_of(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return []
    return [
        value
        for key, value in item.items()
        if isinstance(key, str) and (key == "name" or key.endswith("Name"))
    ]


def _select(items: list[Any], selector: str, where: str) -> int:
    """Return the index of the one item named ``selector``."""
    matches = [index for index, item in enumerate(items) if selector in _names_of(item)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _BadPath(f"{where} has several items named {selector!r}; use an index")
    known = sorted({name for item in items for name in _names_of(item) if isinstance(name, str)})
    hint = f"; names there: {', '.join(known)}" if known else ""
    raise _BadPath(f"{where} has no item named {selector!r}{hint}")


def _list_index(items: list[Any], key: PathKey, where: str) -> int:
    if isinstance(key, Selector):
        return _select(items, key, where)
    if isinstance(key, str):
        raise _BadPath(f"{where} is a list; use [index] or [name], not .{key}")
    if not 0 <= key < len(items):
        raise _BadPath(f"{where} has {len(items)} item(s); index [{key}] is out of range")
    return key


def _child_key(parent: Any, key: PathKey, where: str) -> PathKey:
    """Return the concrete key or index of ``key`` in ``parent`` (a dict or a list)."""
    if isinstance(parent, list):
        return _list_index(parent, key, where)
    if isinstance(parent, dict):
        if isinstance(key, int):
            raise _BadPath(f"{where or 'the top level'} is a mapping; use .key, not [{key}]")
        return str(key)
    raise _BadPath(f"{where} is a single value ({parent!r}), so it has no .{key}")


def _missing_tail(rest: Path, where: Path) -> tuple[str, ...]:
    """Check that the part of a path below a missing key names only mapping keys."""
    for depth, key in enumerate(rest):
        if isinstance(key, int | Selector):
            missing = format_path((*where, *rest[:depth]))
            raise _BadPath(f"{missing} does not exist, so it has no [{key}]")
    return tuple(str(key) for key in rest)


def _descend(data: dict, path: Path) -> tuple[Any, PathKey, Path, tuple[str, ...]]:
    """Follow ``path`` through ``data`` as far as it exists, without changing anything.

    Returns the container to assign into, the concrete key there, the concrete path to that
    key (selectors replaced by indices) and the keys still to create below it.
    """
    node: Any = data
    done: Path = ()
    for depth, key in enumerate(path):
        concrete = _child_key(node, key, format_path(done))
        here = (*done, concrete)
        last = depth == len(path) - 1
        if last or (isinstance(node, dict) and node.get(concrete) is None):
            return node, concrete, here, _missing_tail(path[depth + 1 :], here)
        node, done = node[concrete], here
    raise _BadPath("empty path")


def _nested(keys: tuple[str, ...], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def _parse_assignment(assignment: str) -> tuple[Path, Any]:
    text, sep, value_text = assignment.partition("=")
    if not sep or not text.strip():
        raise _BadPath("expected PATH=VALUE, e.g. simulation.seed=7")
    try:
        path = parse_path(text.strip())
    except ValueError as error:
        raise _BadPath(str(error)) from None
    try:
        value = load_value(value_text)
    except yaml.YAMLError as error:
        # NOTE: batchsim's own refusals (aliases, keys that are not names) say why in words.
        reason = str(error) if type(error) is yaml.YAMLError else error.__class__.__name__
        raise _BadPath(f"cannot read the value {value_text!r} as YAML ({reason})") from None
    return path, value


def apply_one(data: dict, assignment: str) -> Path:
    """Apply one ``PATH=VALUE`` to ``data`` in place and return the concrete path it set.

    Raises ``ValueError`` naming the problem when the assignment or its path is unusable.
    """
    try:
        path, value = _parse_assignment(assignment)
        parent, key, concrete, missing = _descend(data, path)
    except _BadPath as error:
        raise ValueError(str(error)) from None
    parent[key] = _nested(missing, value)
    return (*concrete, *missing)


def apply_overrides(
    data: dict, assignments: list[str], applied: list[Path] | None = None
) -> list[Problem]:
    """Apply each ``PATH=VALUE`` of ``assignments`` to ``data`` in place, in order.

    Returns one :class:`Problem` per assignment that could not be applied, with the PATH as
    written in its ``path``; the others still take effect. When ``applied`` is a list, the
    concrete path of each successful assignment is appended to it (the loader uses this to
    say that a bad value came from ``--set`` rather than from a line of the file).
    """
    problems = []
    for assignment in assignments:
        try:
            concrete = apply_one(data, assignment)
        except ValueError as error:
            where = assignment.partition("=")[0].strip()
            problems.append(Problem(where, f"--set {assignment!r}: {error}"))
            continue
        if applied is not None:
            applied.append(concrete)
    return problems
