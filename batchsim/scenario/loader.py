"""Load a scenario: YAML → ``--set`` overrides → pydantic validation → cross-object checks.

Every problem found on the way is collected and raised together as one
:class:`~batchsim.errors.ScenarioError`, each with its dotted path and YAML line, so a user fixes
a file in one pass instead of one error per run. Pydantic's messages are rewritten in the
scenario's terms ("unknown key 'maxvCpu'; did you mean 'maxvCpus'?").
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from batchsim.errors import Problem, ScenarioError
from batchsim.scenario.checks import check_references, check_scenario, partial_scenario
from batchsim.scenario.distributions import FAMILIES
from batchsim.scenario.overrides import apply_overrides
from batchsim.scenario.pasted import unpaste
from batchsim.scenario.schema import Scenario
from batchsim.scenario.trace_check import trace_problems
from batchsim.scenario.yamlmap import Path, YamlDoc, format_path, load_yaml, parse_path

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from batchsim.catalog import Catalog

_KINDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}
_BOUNDS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "too_short": "needs at least {min_length} item(s)",
    "too_long": "allows at most {max_length} item(s)",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} characters",
}
_PREFIXES = ("Value error, ", "Assertion failed, ")
SCENARIO_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
"""A scenario ``name``: it names the default output folder, so no separators, NUL or leading dot."""
_FILE_ERRORS = (
    (FileNotFoundError, "no such file"),
    (IsADirectoryError, "is a directory, not a scenario file"),
    (UnicodeDecodeError, "is not UTF-8 text"),
    (OSError, "cannot be read"),
)


# ----------------------------------------------------------------------------- pydantic locs
def _members(annotation: Any) -> list[Any]:
    """Flatten ``Annotated`` and unions into the types a value may have."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _step(candidate: Any, element: str | int) -> list[Any]:
    if isinstance(element, int) and get_origin(candidate) is list:
        return _members(get_args(candidate)[0])
    is_model = isinstance(candidate, type) and issubclass(candidate, BaseModel)
    if is_model and element in candidate.model_fields:
        return _members(candidate.model_fields[element].annotation)
    return []


def _models_at(loc: tuple) -> list[type[BaseModel]]:
    """Return the model(s) a pydantic ``loc`` points into."""
    candidates: list[Any] = [Scenario]
    for element in loc:
        # NOTE: union tags and validator names in a loc do not step; they are skipped.
        candidates = [m for c in candidates for m in _step(c, element)] or candidates
    return [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]


def _fields_at(loc: tuple) -> list[str]:
    """Return the field names of the model(s) a pydantic ``loc`` points into."""
    models = _models_at(loc)
    return list(dict.fromkeys(name for model in models for name in model.model_fields))


def _refusal(loc: tuple, key: str, value: object = None) -> str | None:
    """The service-model table's "not supported" message for ``key`` (or its enum ``value``)
    in the model at ``loc``, if it has one."""
    # NOTE: late import, so `python3 -m batchsim.scenario.aws_fields` runs without a warning
    from batchsim.scenario.aws_fields import refusal

    found = (refusal(model.__name__, key, value) for model in _models_at(loc))
    return next((message for message in found if message), None)


def _has(node: Any, element: str | int) -> bool:
    if isinstance(node, dict):
        return element in node
    return isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node)


def data_path(data: Any, loc: tuple, missing: bool = False) -> Path:
    """Map a pydantic ``loc`` onto the keys and indices that really exist in ``data``.

    Loc elements that are not present at their level (union tags, ``function-after[…]``) are
    skipped. With ``missing`` the last element, the absent key, is kept.
    """
    node, path, found = data, [], False
    for element in loc:
        found = _has(node, element)
        if found:
            node = node[element]
            path.append(element)
    if missing and loc and not found:
        path.append(loc[-1])
    return tuple(path)


# ----------------------------------------------------------------------------- messages
def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


# Keys of batchsim's own that later releases will read: say so rather than suggest a typo.
NOT_YET: frozenset[str] = frozenset()


def _extra_message(error: ErrorDetails) -> str:
    key, fields = error["loc"][-1], _fields_at(error["loc"][:-1])
    if key in NOT_YET:
        return f"{key!r} is not supported yet by this batchsim release"
    refused = _refusal(error["loc"][:-1], str(key))
    if refused:
        return refused
    hint = _suggest(str(key), fields)
    if not hint and fields:
        hint = f"; allowed here: {', '.join(fields)}"
    return f"unknown key {key!r}{hint}"


def _literal_message(error: ErrorDetails) -> str:
    loc = error["loc"]
    named = [i for i, element in enumerate(loc) if isinstance(element, str)]
    if named:  # NOTE: a list of enum values ends in an index; its field is the last name
        at = named[-1]
        refused = _refusal(loc[:at], str(loc[at]), error["input"])
        if refused:
            return refused
    expected = error["ctx"]["expected"]
    allowed = re.findall(r"'([^']*)'", expected) or [expected]
    hint = _suggest(str(error["input"]), allowed)
    return f"{_shown(error['input'])} is not allowed; use one of: {', '.join(allowed)}{hint}"


def _message(error: ErrorDetails) -> str:
    """Return a friendly message for one pydantic error."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return _extra_message(error)
    if kind == "missing":
        return f"required key {error['loc'][-1]!r} is missing"
    if kind == "literal_error":
        return _literal_message(error)
    if kind == "distribution" and isinstance(error["input"], dict) and len(error["input"]) == 1:
        family = str(next(iter(error["input"])))
        return f"unknown distribution {family!r}{_suggest(family, list(FAMILIES))}"
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**error.get("ctx", {})) + f", got {_shown(error['input'])}"
    text = error["msg"]
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    return (
        text
        if kind in ("value_error", "assertion_error")
        else f"{text}, got {_shown(error['input'])}"
    )


def _misspelt_required(items: list[ErrorDetails], data: Any) -> set[Path]:
    """Return paths of required keys that an unknown key beside them is a typo of."""
    paths = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            key, fields = item["loc"][-1], _fields_at(item["loc"][:-1])
            for match in difflib.get_close_matches(str(key), fields, n=1):
                paths.add(data_path(data, (*item["loc"][:-1], match), missing=True))
    return paths


def _kinds_message(kinds: list[str], value: Any) -> str:
    kinds = list(dict.fromkeys(kinds))
    wanted = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    return f"must be {wanted}, got {_shown(value)}"


def _validation_problems(error: ValidationError, data: Any) -> list[tuple[Path, str]]:
    """Return (data path, message) for every pydantic error; a union's type errors merge."""
    found: dict[tuple[Path, str], None] = {}
    kinds: dict[Path, tuple[list[str], Any]] = {}
    items = error.errors(include_url=False)
    misspelt = _misspelt_required(items, data)
    for item in items:
        path = data_path(data, item["loc"], missing=item["type"] == "missing")
        if item["type"] == "missing" and path in misspelt:
            continue  # the "unknown key 'maxvCpu'; did you mean 'maxvCpus'?" problem says it all
        if item["type"] not in _KINDS:
            found[(path, _message(item))] = None
            continue
        if path not in kinds:
            kinds[path] = ([], item["input"])
            found[(path, "")] = None  # placeholder keeps the problem in pydantic's order
        kinds[path][0].append(_KINDS[item["type"]])
    return [(p, m or _kinds_message(*kinds[p])) for p, m in found]


# ----------------------------------------------------------------------------- assembly
def _located(path: Path, message: str, doc: YamlDoc, applied: list[Path]) -> Problem:
    """Return a Problem for ``path`` with its YAML line, or a note when ``--set`` gave it."""
    made_by_set = path not in doc.lines and any(done[: len(path)] == path for done in applied)
    if made_by_set or any(path[: len(done)] == done for done in applied):
        return Problem(format_path(path), f"{message} (value from --set)")
    return Problem(format_path(path), message, doc.line_of(path))


def _with_line(problem: Problem, doc: YamlDoc, applied: list[Path]) -> Problem:
    try:
        path = parse_path(problem.path)
    except ValueError:
        return problem
    return _located(path, problem.message, doc, applied)


def _default_catalog() -> Catalog:
    from batchsim.catalog import load_catalog  # NOTE: late import keeps scenario import-light

    return load_catalog()


def _validate(
    doc: YamlDoc, applied: list[Path], catalog: Catalog | None
) -> tuple[Scenario | None, list[Problem]]:
    """Validate the data; cross-check a valid model, or at least the names of invalid data."""
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as error:
        pairs = _validation_problems(error, doc.data)
        found = [_located(path, message, doc, applied) for path, message in pairs]
        cross = check_references(doc.data)
        partial = partial_scenario(doc.data)
        if partial is not None:  # the cross checks of the parts that did validate
            cross += check_scenario(partial, catalog or _default_catalog(), references=False)
        return None, found + [_with_line(problem, doc, applied) for problem in cross]
    found = check_scenario(scenario, catalog or _default_catalog())
    return scenario, [_with_line(problem, doc, applied) for problem in found]


def _name_problems(doc: YamlDoc, applied: list[Path]) -> list[Problem]:
    """The scenario ``name`` becomes ``out/<name>``: refuse what would leave ``out/`` or crash."""
    name = doc.data.get("name") if isinstance(doc.data, dict) else None
    if not isinstance(name, str) or not name or SCENARIO_NAME.fullmatch(name):
        return []
    message = (
        "a scenario name is 1-128 letters, digits, '-', '_' and '.', not starting with '.' "
        f"(it names the output folder out/<name>), got {_shown(name)}"
    )
    return [_located(("name",), message, doc, applied)]


class Loaded(NamedTuple):
    """A validated scenario and the notes its loading made (read-only AWS fields ignored, ARNs
    resolved to names): warnings, each with its path and line."""

    scenario: Scenario
    notes: list[Problem]


def _by_line(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is not None, p.line or 0))


def parse_scenario_notes(
    text: str,
    source: str = "<string>",
    overrides: Sequence[str] = (),
    *,
    catalog: Catalog | None = None,
    base_dir: str | FilePath | None = None,
) -> Loaded:
    """Return the validated scenario written in the YAML ``text`` with the loader's notes; see
    :func:`parse_scenario`. Pasted AWS objects lose their read-only fields and have their ARNs
    resolved to names (:mod:`batchsim.scenario.pasted`), each change a note."""
    doc, problems = load_yaml(text)
    if doc is None:
        raise ScenarioError(problems, source)
    applied: list[Path] = []
    problems += apply_overrides(doc.data, list(overrides), applied)
    problems += _name_problems(doc, applied)
    pasted = unpaste(doc.data)
    notes = [_located(change.path, change.message, doc, applied) for change in pasted.notes]
    problems += [_located(change.path, change.message, doc, applied) for change in pasted.problems]
    scenario, found = _validate(doc, applied, catalog)
    problems += found
    folder = _base_dir(source, base_dir)
    if scenario is not None and not found:
        problems += [
            _located(path, message, doc, applied)
            for path, message in trace_problems(scenario, folder)
        ]
    if problems or scenario is None:
        raise ScenarioError(_by_line(problems), source)
    return Loaded(scenario.with_base_dir(folder), _by_line(notes))


def parse_scenario(
    text: str,
    source: str = "<string>",
    overrides: Sequence[str] = (),
    *,
    catalog: Catalog | None = None,
    base_dir: str | FilePath | None = None,
) -> Scenario:
    """Return the validated :class:`Scenario` written in the YAML ``text``.

    ``overrides`` are ``PATH=VALUE`` assignments applied before validation (see
    :mod:`batchsim.scenario.overrides`); ``catalog`` defaults to the packaged one; ``source``
    names the text in messages; trace paths are relative to ``base_dir`` (default: the folder
    of ``source`` if it is a file, else the working directory), and every trace is read. Raises
    :class:`ScenarioError` carrying every problem found, sorted by line, each with its dotted
    path. The notes of :func:`parse_scenario_notes` are dropped.
    """
    return parse_scenario_notes(
        text, source, overrides, catalog=catalog, base_dir=base_dir
    ).scenario


def _base_dir(source: str, base_dir: str | FilePath | None) -> str | None:
    """The folder trace paths are relative to: ``base_dir``, else the folder of ``source``
    when it names a file, else None (the working directory)."""
    if base_dir is not None:
        return str(base_dir)
    try:
        is_file = FilePath(source).is_file()
    except (OSError, ValueError):
        is_file = False
    return str(FilePath(source).resolve().parent) if is_file else None


def _read(path: FilePath) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = next(text for kind, text in _FILE_ERRORS if isinstance(error, kind))
        raise ScenarioError([Problem("", f"{path}: {reason}")], str(path)) from None


def load_scenario(
    path: str | FilePath, overrides: Sequence[str] = (), *, catalog: Catalog | None = None
) -> Scenario:
    """Read and validate the scenario file at ``path``; see :func:`parse_scenario`.

    A missing or unreadable file, or a directory, raises :class:`ScenarioError` with one problem.
    """
    path = FilePath(path)
    return parse_scenario(_read(path), str(path), overrides, catalog=catalog)


def load_scenario_notes(
    path: str | FilePath, overrides: Sequence[str] = (), *, catalog: Catalog | None = None
) -> Loaded:
    """Read and validate the scenario file at ``path``, with the loader's notes; see
    :func:`parse_scenario_notes` and :func:`load_scenario`."""
    path = FilePath(path)
    return parse_scenario_notes(_read(path), str(path), overrides, catalog=catalog)


def resolved_yaml(scenario: Scenario) -> str:
    """Return ``scenario`` as block-style YAML with every default filled in, in model order.

    Units are resolved (durations in seconds, memory in MiB) and trace paths made absolute, so
    the text parses back to an equal scenario wherever it is written; runs write it next to
    their results.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    for entry, written in zip(scenario.workload, data["workload"], strict=True):
        if entry.trace is not None:
            written["trace"]["path"] = _absolute(entry.trace.path, scenario.base_dir)
    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )


def _absolute(path: str, base_dir: str | None) -> str:
    """A trace ``path`` as the loader reads it (relative to ``base_dir``, else the working
    directory), made absolute."""
    return str((FilePath(base_dir or ".") / path).resolve())
