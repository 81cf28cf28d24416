"""Pasted AWS objects: what ``describe-*`` returns that a create request does not take.

The output of ``aws batch describe-compute-environments / describe-job-queues /
describe-job-definitions`` carries read-only fields (ARNs, ``status``, ``uuid``, ``revision``…,
listed in :data:`~batchsim.scenario.aws_fields.READ_ONLY`) and names compute environments,
queues and job definitions by ARN. :func:`unpaste` drops the read-only fields and resolves the
ARNs to names in the raw scenario data, before validation, and returns a note for each change
(the CLI prints them as warnings) and a problem for a revision the scenario does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from batchsim.scenario.schema import REVISION, definition_name
from batchsim.scenario.yamlmap import Path

ARN = re.compile(
    r"arn:aws[a-z-]*:batch:[a-z0-9-]*:[0-9]*:"
    r"(compute-environment|job-queue|job-definition|scheduling-policy)/(.+)"
)
"""An AWS Batch resource ARN: (its resource type, its name; ``name:revision`` for a definition)."""

_REFERENCES: tuple[tuple[tuple[Any, ...], str], ...] = (
    (("jobQueues", "*", "computeEnvironmentOrder", "*", "computeEnvironment"), "compute-environment"),
    (("workload", "*", "submit", "jobQueue"), "job-queue"),
    (("workload", "*", "submit", "jobDefinition"), "job-definition"),
    (("actions", "*", "UpdateComputeEnvironment", "computeEnvironment"), "compute-environment"),
    (("actions", "*", "UpdateJobQueue", "jobQueue"), "job-queue"),
)  # fmt: skip
"""Where a scenario names another object (``*``: every list item), and the ARN type it takes."""


class Change(NamedTuple):
    """One change :func:`unpaste` made (or refused): where, and what."""

    path: Path
    message: str


class Unpasted(NamedTuple):
    """What :func:`unpaste` did: ``notes`` (warnings) and ``problems`` (errors)."""

    notes: list[Change]
    problems: list[Change]


def arn_name(value: str, kind: str) -> str | None:
    """Return the name in ``value`` if it is a Batch ARN of resource type ``kind``
    (``compute-environment``, ``job-queue``, ``job-definition`` — then ``name:revision``)."""
    match = ARN.fullmatch(value)
    return match.group(2) if match and match.group(1) == kind else None


def _walk(node: Any, pattern: tuple[Any, ...], path: Path = ()) -> Iterator[tuple[Any, Path]]:
    """Yield (container, path) for every place ``pattern`` reaches in ``node``; the last path
    element is the key or index inside the container."""
    if not pattern:
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        keys: list[Any] = list(range(len(node))) if isinstance(node, list) else []
    else:
        keys = [head] if isinstance(node, dict) and head in node else []
    for key in keys:
        if rest:
            yield from _walk(node[key], rest, (*path, key))
        else:
            yield node, (*path, key)


def _drop_read_only(data: dict) -> Iterator[Change]:
    # NOTE: late import, so `python3 -m batchsim.scenario.aws_fields` runs without a warning
    from batchsim.scenario.aws_fields import READ_ONLY

    for list_key, read_only in READ_ONLY.items():
        items = data.get(list_key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            dropped = [field for field in item if field in read_only.fields]
            if dropped:
                path: Path = (list_key, index, dropped[0])
                message = _dropped_message(dropped, read_only.operation)
                if item.get("status") in ("ENABLED", "DISABLED"):  # a typo of state, likely
                    message += "; 'state' is what enables or disables it"
                yield Change(path, message)
            for field in dropped:
                del item[field]


def _dropped_message(fields: list[str], operation: str) -> str:
    noun = "field" if len(fields) == 1 else "fields"
    return (
        f"ignored read-only {noun} {', '.join(fields)} (AWS returns them from {operation}; "
        "a create request does not take them)"
    )


def _revisions(data: dict) -> dict[str, int]:
    """Return the pasted ``revision`` of each job definition that carries one (read before the
    read-only fields are dropped)."""
    items = data.get("jobDefinitions")
    found: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("revision"), int):
            name = item.get("jobDefinitionName")
            if isinstance(name, str):
                found[name] = item["revision"]
    return found


def _resolve_arns(data: dict) -> Iterator[Change]:
    for pattern, kind in _REFERENCES:
        for container, path in _walk(data, pattern):
            value = container[path[-1]]
            name = arn_name(value, kind) if isinstance(value, str) else None
            if name is not None:
                container[path[-1]] = name
                yield Change(path, f"ARN resolved to {name!r}")


def _pasted_revision(data: dict, revisions: dict[str, int]) -> Iterator[Change]:
    """A reference ``name:R`` to a definition pasted with ``revision: R`` names it: make it
    ``name``; another R names a revision the scenario does not hold."""
    pattern, _ = _REFERENCES[2]
    for submit, path in _walk(data, pattern):
        reference = submit[path[-1]]
        match = REVISION.search(reference) if isinstance(reference, str) else None
        if match is None or definition_name(reference) not in revisions:
            continue
        name = definition_name(reference)
        submit[path[-1]] = name  # NOTE: the checks then see a plain name, not revision 1
        if int(match.group(1)) != revisions[name]:
            yield Change(
                path,
                f"job definition {name!r} is revision {revisions[name]} here (its pasted "
                f"revision), so {reference!r} does not exist; use {name!r} or '{name}:{revisions[name]}'",
            )


def unpaste(data: Any) -> Unpasted:
    """Drop read-only fields from the pasted objects in ``data`` (the raw scenario mapping) and
    resolve ARNs to names, in place; return the notes and the problems."""
    if not isinstance(data, dict):
        return Unpasted([], [])
    revisions = _revisions(data)
    notes = [*_drop_read_only(data), *_resolve_arns(data)]
    return Unpasted(notes, list(_pasted_revision(data, revisions)))
