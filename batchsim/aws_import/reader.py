"""Read what ``aws batch describe-*`` printed: JSON files, or every ``*.json`` file of a folder.

A file holds describe output (``{"computeEnvironments": [...]}``, ``{"jobQueues": [...]}``,
``{"jobDefinitions": [...]}``, ``{"schedulingPolicies": [...]}``, several of them in one object
too), one object (a described item or a create request, told apart by its name key) or a list
of objects. Every problem of every file is reported at once, as an :class:`AwsInputError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from batchsim.errors import AwsInputError

NAME_KEYS = {
    "computeEnvironments": "computeEnvironmentName",
    "jobQueues": "jobQueueName",
    "jobDefinitions": "jobDefinitionName",
    "schedulingPolicies": "name",
}
"""The lists of describe output read, and the key that names each of their objects."""
_IGNORED = frozenset({"nextToken", "ResponseMetadata"})
_BY_NAME_KEY = {key: kind for kind, key in NAME_KEYS.items() if key != "name"}


class Described(NamedTuple):
    """One object read: its kind (a key of :data:`NAME_KEYS`), the object, the file it came from."""

    kind: str
    item: dict[str, Any]
    source: str


def input_files(paths: Sequence[str]) -> list[Path]:
    """Return the files to read: each path given, a folder's ``*.json`` files in name order.

    Raises :class:`AwsInputError` for a path that does not exist or a folder without JSON.
    """
    files, problems = [], []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            files += found
            if not found:
                problems.append(f"{path}: folder holds no *.json file")
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    if problems:
        raise AwsInputError("\n".join(problems))
    return files


def _parse(path: Path) -> tuple[Any, str | None]:
    """Return the JSON in ``path``, or a problem naming the file and line."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig")), None
    except json.JSONDecodeError as error:
        return (
            None,
            f"{path} (line {error.lineno}, column {error.colno}): not valid JSON: {error.msg}",
        )
    except (OSError, UnicodeDecodeError) as error:
        return None, f"{path}: cannot be read as UTF-8 text ({type(error).__name__})"


def _single(item: Any, source: str) -> Described | str:
    """One object, its kind told by its name key; a problem if it has none."""
    if isinstance(item, dict):
        kind = next((kind for key, kind in _BY_NAME_KEY.items() if key in item), None)
        if kind is not None:
            return Described(kind, item, source)
    return (
        f"{source}: an object without computeEnvironmentName, jobQueueName or "
        "jobDefinitionName is not AWS Batch describe output"
    )


def _listed(document: dict, source: str) -> Iterator[Described | str]:
    """The objects of describe output (its lists, by key); a problem for anything else."""
    for key, value in document.items():
        if key in _IGNORED:
            continue
        if key not in NAME_KEYS:
            yield f"{source}: unknown key {key!r}; describe output has {', '.join(NAME_KEYS)}"
        elif not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            yield f"{source}: {key} must be a list of objects"
        else:
            yield from (Described(key, item, source) for item in value)


def _objects(document: Any, source: str) -> Iterator[Described | str]:
    if isinstance(document, list):
        yield from (_single(item, source) for item in document)
    elif isinstance(document, dict) and not set(document) & set(_BY_NAME_KEY):
        yield from _listed(document, source)
    else:
        yield _single(document, source)


def read_described(paths: Sequence[str]) -> list[Described]:
    """Return every object in the files (or folder) ``paths``, in file order.

    Raises :class:`AwsInputError` listing every problem: a missing path, JSON that does not
    parse (file, line and column), a document that is not describe output.
    """
    found: list[Described] = []
    problems: list[str] = []
    for path in input_files(paths):
        document, problem = _parse(path)
        if problem is not None:
            problems.append(problem)
            continue
        for item in _objects(document, str(path)):
            if isinstance(item, str):
                problems.append(item)
            else:
                found.append(item)
    if problems:
        raise AwsInputError("\n".join(problems))
    return found
