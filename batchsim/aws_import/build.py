"""Turn described AWS objects into the parts of an editable scenario.

AWS fields are kept verbatim; the read-only ones (:data:`~batchsim.scenario.aws_fields.READ_ONLY`)
are dropped and listed in a comment; queues' compute environment ARNs become names; of each job
definition only the latest ACTIVE revision is kept unless every revision is asked for. What AWS
does not have (runtimes, boot times, the workload) is filled with batchsim's defaults, each
marked ``CHECK`` for the user.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from batchsim.aws_import.reader import NAME_KEYS, Described
from batchsim.errors import AwsInputError
from batchsim.scenario.aws_fields import READ_ONLY
from batchsim.scenario.checks import policy_name
from batchsim.scenario.pasted import arn_name
from batchsim.scenario.schema import DEFAULT_BOOT_TIME, ComputeEnvironmentSimulation

SECTIONS = ("computeEnvironments", "jobQueues", "jobDefinitions", "schedulingPolicies", "workload")
"""The scenario lists an import writes, in this order."""
NOUNS = (
    ("compute environment", "compute environments"),
    ("job queue", "job queues"),
    ("job definition", "job definitions"),
    ("scheduling policy", "scheduling policies"),
    ("workload entry", "workload entries"),
)
"""Each section's noun, singular and plural, for the summary line."""
DEFAULT_RUNTIME = "10m"
DEFAULT_COUNT = 10
UNMANAGED_TYPE, UNMANAGED_TYPE_VCPUS = "m5.large", 2
_IDLE_S = ComputeEnvironmentSimulation.model_fields["scaleDownDelay"].default
CE_SIMULATION = {"bootTime": DEFAULT_BOOT_TIME, "scaleDownDelay": f"{_IDLE_S:g}s"}
"""A compute environment's ``simulation`` block: the schema's defaults, written out to check."""
CHECK_CE = "CHECK: not from AWS; batchsim's default boot time and idle time before scale-in"
CHECK_UNMANAGED = "CHECK: not from AWS; the instances you register (type, count)"
CHECK_RUNTIME = f"CHECK: not from AWS; how long a job runs (placeholder {DEFAULT_RUNTIME})"
CHECK_WORKLOAD = (
    f"CHECK: not from AWS; {DEFAULT_COUNT} jobs at t=0 to the first queue that runs them"
)
_FARGATE = ("FARGATE", "FARGATE_SPOT")


class Written(NamedTuple):
    """One object as the scenario holds it: the mapping, comment lines above it, and the CHECK
    comment for its ``simulation`` line (None when it has none)."""

    item: dict[str, Any]
    notes: list[str]
    check: str | None = None


class Imported(NamedTuple):
    """An import: the files read, the objects of each section, the definition revisions left
    out, and the definitions no queue runs (so without a workload entry)."""

    sources: list[str]
    sections: dict[str, list[Written]]
    skipped: list[str]
    unplaced: list[str]

    def counts(self) -> str:
        """How many objects of each kind were written: "2 compute environments, 1 job queue"."""
        counted = [
            (len(self.sections[key]), noun) for key, noun in zip(SECTIONS, NOUNS, strict=True)
        ]
        return ", ".join(f"{n} {noun[n != 1]}" for n, noun in counted if n)


class _Revision(NamedTuple):
    item: dict[str, Any]
    revision: int
    active: bool
    described: Described


def _number(value: Any, default: int) -> int:
    """``value`` if it is a whole number, else ``default`` (the loader reports the value)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dropped(described: Described) -> tuple[dict[str, Any], list[str]]:
    """A copy of the object without its read-only fields, and a comment naming them."""
    item = copy.deepcopy(described.item)
    fields = [field for field in READ_ONLY[described.kind].fields if field in item]
    shown = [
        f"{field} {item[field]}" if field in ("status", "revision") else field for field in fields
    ]
    for field in fields:
        del item[field]
    name_key = NAME_KEYS[described.kind]  # NOTE: the name first, so the file reads by name
    item = {name_key: item.pop(name_key), **item} if name_key in item else item
    notes = [f"from {described.source}"]
    if fields:
        notes.append(f"read-only fields dropped: {', '.join(shown)}")
    return item, notes


def _resolved(queue: dict[str, Any]) -> list[str]:
    """Resolve the compute environment ARNs of a queue in place; a comment if any was."""
    resolved = []
    for entry in _list(queue.get("computeEnvironmentOrder")):
        value = entry.get("computeEnvironment") if isinstance(entry, dict) else None
        name = arn_name(value, "compute-environment") if isinstance(value, str) else None
        if name is not None:
            entry["computeEnvironment"] = name
            resolved.append(name)
    return (
        [f"compute environment ARNs resolved to names: {', '.join(resolved)}"] if resolved else []
    )


def _duplicates(objects: Iterable[Described]) -> list[str]:
    """Problems for two objects of one kind and name (two revisions of a definition differ)."""
    seen: dict[tuple, str] = {}
    problems = []
    for described in objects:
        name = described.item.get(NAME_KEYS[described.kind])
        key = (described.kind, str(name), _number(described.item.get("revision"), 1))
        if key in seen:
            problems.append(
                f"{described.source}: {described.kind} {name!r} is also in {seen[key]}; give it once"
            )
        seen.setdefault(key, described.source)
    return problems


def _compute_environment(described: Described) -> Written:
    item, notes = _dropped(described)
    simulation: dict[str, Any] = copy.deepcopy(CE_SIMULATION)
    check = CHECK_CE
    if item.get("type") == "UNMANAGED":
        vcpus = _number(item.get("unmanagedvCpus"), 0)
        count = max(1, math.ceil(vcpus / UNMANAGED_TYPE_VCPUS))
        simulation["instances"] = [{"instanceType": UNMANAGED_TYPE, "count": count}]
        check = CHECK_UNMANAGED
    item["simulation"] = simulation
    return Written(item, notes, check)


def _queue(described: Described) -> Written:
    item, notes = _dropped(described)
    return Written(item, notes + _resolved(item))


def _revisions(objects: Iterable[Described]) -> dict[str, list[_Revision]]:
    """Each definition name's revisions, oldest first."""
    found: dict[str, list[_Revision]] = {}
    for described in objects:
        item = described.item
        revision = _number(item.get("revision"), 1)
        active = item.get("status", "ACTIVE") == "ACTIVE"
        name = str(item.get("jobDefinitionName"))
        found.setdefault(name, []).append(_Revision(item, revision, active, described))
    return {name: sorted(found[name], key=lambda r: r.revision) for name in found}


def _latest_active(revisions: list[_Revision]) -> _Revision | None:
    active = [revision for revision in revisions if revision.active]
    return active[-1] if active else None


def _definition(revision: _Revision, name: str) -> Written:
    item, notes = _dropped(revision.described)
    if name != item["jobDefinitionName"]:
        state = "ACTIVE" if revision.active else "INACTIVE"
        notes.append(
            f"revision {revision.revision} ({state}) of {item['jobDefinitionName']!r}, renamed "
            "(a scenario holds one definition per name)"
        )
        item["jobDefinitionName"] = name
    item["simulation"] = {"runtime": DEFAULT_RUNTIME}
    return Written(item, notes, CHECK_RUNTIME)


def _definitions(
    objects: Iterable[Described], all_revisions: bool
) -> tuple[list[Written], list[Written], list[str]]:
    """The definitions written, the latest ACTIVE revisions among them (under their own names;
    with ``all_revisions`` the others as ``<name>-r<revision>``), and a line for each left out."""
    written, latest_written, skipped = [], [], []
    for name, revisions in _revisions(objects).items():
        latest = _latest_active(revisions)
        for revision in revisions:
            if revision is latest:
                written.append(_definition(revision, name))
                latest_written.append(written[-1])
            elif all_revisions:
                written.append(_definition(revision, f"{name}-r{revision.revision}"))
            else:
                state = "ACTIVE" if revision.active else "INACTIVE"
                skipped.append(f"{name} revision {revision.revision} ({state})")
    return written, latest_written, skipped


def _platform(kind: str | None) -> str:
    return "FARGATE" if kind in _FARGATE else "EC2"


class _Target(NamedTuple):
    """A queue a workload entry may go to: its name, the platform it runs, and for a fair-share
    queue the share identifier to submit with."""

    queue: str
    platform: str
    share: str | None


def _share(queue: dict[str, Any], policies: dict[str, dict[str, Any]]) -> str | None:
    """The first share identifier of a fair-share queue's policy (a prefix without its ``*``),
    ``default`` when it names none; None for a FIFO queue."""
    reference = queue.get("schedulingPolicyArn")
    if not isinstance(reference, str):
        return None
    policy = _mapping(policies.get(policy_name(reference)))
    shares = _list(_mapping(policy.get("fairsharePolicy")).get("shareDistribution"))
    first = str(_mapping(shares[0]).get("shareIdentifier", "")).rstrip("*") if shares else ""
    return first or "default"


def _targets(queues: list[Written], ces: list[Written], policies: list[Written]) -> list[_Target]:
    """The ENABLED queues with an ENABLED CE, by descending priority."""
    enabled = {
        str(ce.item.get("computeEnvironmentName")): _platform(
            _mapping(ce.item.get("computeResources")).get("type")
        )
        for ce in ces
        if ce.item.get("state", "ENABLED") == "ENABLED"
    }
    named = {str(policy.item.get("name")): policy.item for policy in policies}
    found = []
    for queue in sorted(queues, key=lambda q: -_number(q.item.get("priority"), 1)):
        entries = _list(queue.item.get("computeEnvironmentOrder"))
        order = [str(_mapping(entry).get("computeEnvironment")) for entry in entries]
        platforms = [enabled[name] for name in order if name in enabled]
        if queue.item.get("state", "ENABLED") == "ENABLED" and platforms:
            name = str(queue.item.get("jobQueueName"))
            found.append(_Target(name, platforms[0], _share(queue.item, named)))
    return found


def _workload(
    definitions: list[Written], targets: list[_Target]
) -> tuple[list[Written], list[str]]:
    """One entry per definition (the latest revisions), to the first queue of its platform; a
    line for each definition no queue runs."""
    entries, unplaced = [], []
    for definition in definitions:
        name = definition.item["jobDefinitionName"]
        capabilities = _list(definition.item.get("platformCapabilities"))
        platform = "FARGATE" if "FARGATE" in capabilities else "EC2"
        target = next((t for t in targets if t.platform == platform), None)
        if target is None:
            unplaced.append(f"{name}: no ENABLED queue runs {platform} jobs, so no workload entry")
            continue
        submit = {"jobName": name, "jobQueue": target.queue, "jobDefinition": name}
        if target.share is not None:
            submit["shareIdentifier"] = target.share
        entries.append(
            Written({"name": name, "submit": submit, "count": DEFAULT_COUNT}, [], CHECK_WORKLOAD)
        )
    return entries, unplaced


def _of(objects: Sequence[Described], kind: str) -> list[Described]:
    return [described for described in objects if described.kind == kind]


def build_import(
    objects: Sequence[Described], sources: list[str], all_revisions: bool = False
) -> Imported:
    """Return the scenario parts for the described ``objects`` (read from ``sources``).

    Raises :class:`AwsInputError` when an object appears twice (the same name, and for a job
    definition the same revision).
    """
    problems = _duplicates(objects)
    if problems:
        raise AwsInputError("\n".join(problems))
    ces = [_compute_environment(d) for d in _of(objects, "computeEnvironments")]
    queues = [_queue(d) for d in _of(objects, "jobQueues")]
    definitions, latest, skipped = _definitions(_of(objects, "jobDefinitions"), all_revisions)
    policies = [Written(*_dropped(d)) for d in _of(objects, "schedulingPolicies")]
    workload, unplaced = _workload(latest, _targets(queues, ces, policies))
    sections = dict(zip(SECTIONS, (ces, queues, definitions, policies, workload), strict=True))
    return Imported(sources, sections, skipped, unplaced)
