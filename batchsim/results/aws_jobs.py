"""``jobs.json``: the run's jobs as AWS ``DescribeJobs`` returns them (``{"jobs": [JobDetail…]}``).

Times are epoch milliseconds counted from a start instant (by default :data:`batchsim.clock.EPOCH`,
the instant ``events.jsonl`` uses), so tools written against AWS output read a run as they read
real history. Every key written is a member of botocore's ``JobDetail`` shape with its type
(``tests/test_jobs_json.py`` checks it against the service model). What AWS would hold and a run
does not know (commands, environment, log configuration) is left out, not invented.

The file is one JSON document with one job per line (``{"jobs":[`` / a job / ``,`` … ``]}``), so
``json.load`` reads it whole and line tools can still split it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

import numpy as np
import orjson
import pandas as pd

from batchsim.clock import EPOCH
from batchsim.records import JobState, Outcome
from batchsim.results.events import cells
from batchsim.scenario.schema import Scenario, WorkloadEntry, definition_name
from batchsim.scenario.trace_jobs import trace_depends_on

ACCOUNT = "123456789012"
REGION = "us-east-1"
STATES = tuple(state.value for state in JobState)
_TASK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "batchsim.tasks")
_TASK_PREFIX = _TASK_NAMESPACE.bytes
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 4122
_ATTEMPT_COLUMNS = [
    "jobId", "instanceId", "startedAt", "stoppedAt", "outcome", "exitCode", "statusReason",
    "reason",
]  # fmt: skip


def epoch_ms_of(start: datetime | None) -> int:
    """Return ``start`` (default: the run's epoch, 2026-01-01 UTC) as epoch milliseconds."""
    return round((start or EPOCH).timestamp() * 1000)


def _ms(column: pd.Series, start_ms: int) -> list:
    """Return seconds from t = 0 as epoch milliseconds (ints), None where empty."""
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    empty = np.isnan(values)
    whole = (np.rint(np.where(empty, 0.0, values) * 1000) + start_ms).astype(np.int64)
    if not empty.any():
        return whole.tolist()
    cells = whole.astype(object)
    cells[empty] = None
    return cells.tolist()


def _arn(kind: str, name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:batch:{REGION}:{ACCOUNT}:{kind}/{name}"


@lru_cache(maxsize=256)
def _resources(vcpus: float | None, memory: float | None, gpus: int | None) -> tuple:
    """Return a ``resourceRequirements`` list (as a tuple of dicts) for a job's shape."""
    out = []
    if vcpus is not None:
        out.append({"value": f"{vcpus:g}", "type": "VCPU"})
    if memory is not None:
        out.append({"value": f"{memory:g}", "type": "MEMORY"})
    if gpus:
        out.append({"value": str(int(gpus)), "type": "GPU"})
    return tuple(out)


def _task_id(job_id: str, attempt: int) -> str:
    """A stable ECS task id for an attempt: ``uuid5(_TASK_NAMESPACE, "<jobId>/<attempt>")``.

    NOTE: hashed directly (what :func:`uuid.uuid5` computes, without building UUID objects,
    which cost more than the rest of the attempt's detail).
    """
    h = hashlib.sha1(_TASK_PREFIX + f"{job_id}/{attempt}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _attempt(job_id: str, n: int, row: tuple, start_ms: int, log_group: str) -> dict:
    """Return an ``AttemptDetail`` for the ``n``-th finished attempt of a job."""
    _, instance_id, started, stopped, _, exit_code, status_reason, reason = row
    task = _task_id(job_id, n)
    container: dict[str, object] = {}
    if instance_id is not None:
        container["containerInstanceArn"] = (
            f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{instance_id}"
        )
    container["taskArn"] = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{task}"
    if exit_code is not None:
        container["exitCode"] = int(exit_code)
    if reason:
        container["reason"] = reason
    container["logStreamName"] = f"{log_group}/default/{task}"
    detail: dict[str, object] = {"container": container}
    if started is not None:
        detail["startedAt"] = start_ms + round(started * 1000)
    detail["stoppedAt"] = start_ms + round(stopped * 1000)
    detail["statusReason"] = status_reason or ""
    return detail


def _attempts_by_job(attempts: pd.DataFrame) -> dict[str, list[tuple]]:
    """Return each job's finished attempt rows, in attempt order."""
    ordered = attempts.sort_values(["jobId", "attempt"], kind="stable")
    grouped: dict[str, list[tuple]] = {}
    columns = [cells(ordered[c]) for c in _ATTEMPT_COLUMNS]
    unfinished = Outcome.UNFINISHED.value
    for row in zip(*columns, strict=True):
        if row[4] != unfinished:
            grouped.setdefault(row[0], []).append(row)
    return grouped


def _status_summaries(jobs: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Return each array parent's children counted by final status."""
    children = jobs[jobs["arrayParent"].notna()]
    counts = children.groupby(["arrayParent", "status"]).size()
    summaries: dict[str, dict[str, int]] = {}
    keys = counts.index.tolist()
    for (parent, status), count in zip(keys, counts.tolist(), strict=True):
        summary = summaries.setdefault(str(parent), dict.fromkeys(STATES, 0))
        summary[str(status)] = int(count)
    return summaries


def _entry_extras(
    scenario: Scenario, first_ids: dict[str, str], submitted: set[str]
) -> dict[str, dict]:
    """Return, per workload entry, the JobDetail members its jobs share (retry strategy,
    timeout, tags, dependencies, share, priority, platform, image); a trace entry's jobs
    each have their own dependencies, on the jobs in ``submitted`` (the run's top-level ids)."""
    definitions = {d.jobDefinitionName: d for d in scenario.jobDefinitions}
    extras = {
        entry.name: _extras(entry, definitions.get(definition_name(entry.submit.jobDefinition)), first_ids)
        for entry in scenario.workload
    }  # fmt: skip
    for entry in scenario.workload:
        if entry.trace is not None:
            extras[entry.name]["traceDependsOn"] = {
                number: [_pair(job_id, kind) for job_id, kind in pairs]
                for number, pairs in trace_depends_on(scenario, entry, submitted).items()
            }
    return extras


def _pair(job_id: str | None, kind: str | None) -> dict[str, str]:
    """A ``JobDependency`` of (jobId, type), None members left out."""
    return {key: value for key, value in (("jobId", job_id), ("type", kind)) if value is not None}


def _extras(entry: WorkloadEntry, definition, first_ids: dict[str, str]) -> dict:
    """The shared members of one workload entry's jobs (see :func:`_entry_extras`)."""
    submit = entry.submit
    out: dict[str, object] = {}
    if submit.shareIdentifier is not None:
        out["shareIdentifier"] = submit.shareIdentifier
    priority = submit.schedulingPriorityOverride
    if priority is None and definition is not None:
        priority = definition.schedulingPriority
    if priority is not None:
        out["schedulingPriority"] = priority
    retry = submit.retryStrategy or (definition.retryStrategy if definition else None)
    if retry is not None:
        out["retryStrategy"] = retry.model_dump(exclude_none=True)
    out["dependsOn"] = [_dependency(d, first_ids) for d in submit.dependsOn]
    timeout = submit.timeout or (definition.timeout if definition else None)
    if timeout is not None:
        out["timeout"] = timeout.model_dump()
    tags = submit.tags if submit.tags is not None else (definition.tags if definition else None)
    if isinstance(tags, dict):
        out["tags"] = {str(k): str(v) for k, v in tags.items()}
    if definition is not None and definition.platformCapabilities:
        out["platformCapabilities"] = list(definition.platformCapabilities)
    # NOTE: a multi-node or multi-container job has no single image to name.
    single = (
        definition is not None
        and definition.type == "container"
        and definition.ecsProperties is None
    )
    out["image"] = definition.containerProperties.image if single else None
    return out


def _dependency(dependency, first_ids: dict[str, str]) -> dict[str, str]:
    """A ``JobDependency`` with the workload entry's name resolved to its job's id."""
    out = {}
    if dependency.jobId is not None:
        out["jobId"] = first_ids.get(dependency.jobId, dependency.jobId)
    if dependency.type is not None:
        out["type"] = dependency.type
    return out


def _first_ids(jobs: pd.DataFrame) -> dict[str, str]:
    """Return the id of each workload entry's first top-level job (what dependsOn names)."""
    top = jobs[jobs["arrayParent"].isna()]
    firsts = top.drop_duplicates("workload")
    return dict(zip(firsts["workload"].tolist(), firsts["jobId"].tolist(), strict=True))


def job_details(jobs: pd.DataFrame, attempts: pd.DataFrame, scenario: Scenario,
                start_ms: int) -> Iterator[dict]:  # fmt: skip
    """Yield one ``JobDetail`` dict per row of ``jobs`` (table order), times in epoch ms from
    ``start_ms`` (see :func:`epoch_ms_of`); ``attempts`` gives each job's finished attempts."""
    tries = _attempts_by_job(attempts)
    summaries = _status_summaries(jobs)
    top = jobs.loc[jobs["arrayParent"].isna(), "jobId"]
    extras = _entry_extras(scenario, _first_ids(jobs), set(top.tolist()))
    names = ["jobId", "jobName", "workload", "jobDefinition", "status", "statusReason",
             "exitCode", "jobQueue", "vcpus", "memory", "gpus", "arrayParent", "arrayIndex",
             "arraySize"]  # fmt: skip
    columns = [cells(jobs[name]) for name in names]
    times = [_ms(jobs[name], start_ms) for name in ("createdAt", "startedAt", "stoppedAt")]
    for row, (created, started, stopped) in zip(zip(*columns, strict=True), zip(*times, strict=True), strict=True):  # fmt: skip
        yield _detail(row, created, started, stopped, tries, summaries, extras, start_ms)


def _detail(row, created, started, stopped, tries, summaries, extras, start_ms) -> dict:
    """Build one JobDetail from a job row (see :func:`job_details`)."""
    (job_id, name, workload, definition, status, reason, exit_code, queue, vcpus, memory, gpus,
     parent, index, size) = row  # fmt: skip
    shared = extras.get(workload, {})
    log_group = definition_name(definition)
    detail: dict[str, object] = {
        "jobArn": _arn("job", job_id), "jobName": name, "jobId": job_id,
        "jobQueue": _arn("job-queue", queue), "status": status,
    }  # fmt: skip
    for key in ("shareIdentifier", "schedulingPriority"):
        if key in shared:
            detail[key] = shared[key]
    mine = tries.get(job_id, [])
    detail["attempts"] = [
        _attempt(job_id, n, t, start_ms, log_group) for n, t in enumerate(mine, 1)
    ]
    if reason is not None:
        detail["statusReason"] = reason
    detail["createdAt"] = created
    if "retryStrategy" in shared:
        detail["retryStrategy"] = shared["retryStrategy"]
    if started is not None:
        detail["startedAt"] = started
    if stopped is not None:
        detail["stoppedAt"] = stopped
    detail["dependsOn"] = _depends_on(shared, job_id if parent is None else parent)
    revision = definition if ":" in definition else f"{definition}:1"
    detail["jobDefinition"] = _arn("job-definition", revision)
    detail["container"] = _container(shared.get("image"), vcpus, memory, gpus, exit_code, mine)
    if size is not None:
        detail["arrayProperties"] = {
            "statusSummary": summaries.get(job_id, dict.fromkeys(STATES, 0)),
            "size": int(size),
        }
    elif index is not None:
        detail["arrayProperties"] = {"index": int(index)}
    for key in ("timeout", "tags", "platformCapabilities"):
        if key in shared:
            detail[key] = shared[key]
    return detail


def _depends_on(shared: dict, top_id: str) -> list:
    """A job's ``dependsOn``: its entry's, or a trace job's own (an array child: its array's)."""
    traced = shared.get("traceDependsOn")
    if traced is None:
        return shared.get("dependsOn", [])
    return traced.get(int(top_id.rsplit("-", 1)[1]), [])


def _container(image, vcpus, memory, gpus, exit_code, tries: list[tuple]) -> dict:
    """A job's ``ContainerDetail``: image, resources, and its last attempt's host and exit."""
    container: dict[str, object] = {}
    if image is not None:
        container["image"] = image
    if exit_code is not None:
        container["exitCode"] = int(exit_code)
    if tries and tries[-1][1] is not None:
        container["containerInstanceArn"] = (
            f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{tries[-1][1]}"
        )
    container["resourceRequirements"] = list(_resources(vcpus, memory, gpus))
    return container


JOBS_CHUNK = 4096
"""JobDetails encoded into one write of ``jobs.json``."""


def jobs_json_chunks(jobs: pd.DataFrame, attempts: pd.DataFrame, scenario: Scenario,
                     start_ms: int) -> Iterator[bytes]:  # fmt: skip
    """Yield the bytes of ``jobs.json`` in pieces (see the module docstring for the layout)."""
    yield b'{"jobs":[\n'
    chunk: list[bytes] = []
    first = True
    for detail in job_details(jobs, attempts, scenario, start_ms):
        chunk.append(orjson.dumps(detail))
        if len(chunk) == JOBS_CHUNK:
            yield (b"" if first else b",\n") + b",\n".join(chunk)
            chunk, first = [], False
    if chunk:
        yield (b"" if first else b",\n") + b",\n".join(chunk)
    yield b"\n]}\n"
