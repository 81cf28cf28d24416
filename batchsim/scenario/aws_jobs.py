"""DescribeJobs JSON as a trace: ``{"jobs": [...]}`` or a list of ``JobDetail`` records.

Times are epoch milliseconds. A job's runtime is its last attempt's ``stoppedAt − startedAt``
(the job's own pair when it lists no attempts); its vCPUs and memory come from
``resourceRequirements`` (else the older ``vcpus``/``memory``), of ``container`` or of the
first ``ecsProperties`` task's containers summed. The PascalCase form Step Functions returns
(``JobId``, ``CreatedAt``, ``Attempts[].Container.ExitCode``) is read the same way.

Arrays and dependencies are kept (:mod:`batchsim.scenario.trace_links`): an array parent
(``arrayProperties.size``) whose children are in the file is one row, replayed as an array
whose child *i* runs child record ``<parent id>:<i>``'s run time; a parent without its
children in the file is counted (``array_parents``), not replayed. ``dependsOn`` is kept per
row; a job that FAILED without ever starting while it had dependencies (AWS's ``Dependent Job
failed``) is kept with no work, so that the replay fails it the same way. Rows come in
``createdAt`` order, a job after those it depends on.
"""

from __future__ import annotations

import heapq
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from batchsim.gc_pause import paused_gc
from batchsim.scenario.trace_links import ArrayChildren, TraceLinks
from batchsim.scenario.traces import CANCELLED, FAILED, SUCCEEDED, TraceError, TraceTable

_STATUS = {"SUCCEEDED": SUCCEEDED, "FAILED": FAILED}
MIN_ARRAY, MAX_ARRAY = 2, 10_000
"""AWS Batch's limits on ``arrayProperties.size``."""


def _camel(node: Any) -> Any:
    """Keys with a lower-case first letter, recursively (Step Functions' PascalCase → AWS's)."""
    if isinstance(node, dict):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): _camel(v) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_camel(item) for item in node]
    return node


def _records(path: Path, text: str) -> list[dict]:
    """The file's DescribeJobs records, PascalCase ones with their keys made camelCase.

    NOTE: only PascalCase records are copied; a camelCase file is read as it is.
    """
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise TraceError(path, error.lineno, f"is not JSON: {error.msg}") from None
    if isinstance(data, dict):
        data = data.get("jobs", data.get("Jobs"))
    if not isinstance(data, list) or not all(isinstance(job, dict) for job in data):
        raise TraceError(path, None, 'expected {"jobs": [...]} or a list of DescribeJobs records')
    return [_camel(job) if _pascal(job) else job for job in data]


def _pascal(job: dict) -> bool:
    """Whether ``job`` is in Step Functions' PascalCase (its first key starts upper-case)."""
    first = next(iter(job), "")
    return isinstance(first, str) and first[:1].isupper()


def _epoch_ms(path: Path, job: dict, index: int, key: str) -> float:
    """Epoch milliseconds at ``key`` of ``job`` (NaN when absent)."""
    value = job.get(key)
    if value is None:
        return np.nan
    if not isinstance(value, int | float) or isinstance(value, bool):
        job_id = job.get("jobId", "?")
        message = f"{key} must be epoch milliseconds, got {value!r}"
        raise TraceError(path, None, f"job {index + 1} ({job_id}): {message}")
    return float(value)


def _run_time(path: Path, job: dict, index: int) -> float:
    """The last attempt's started→stopped seconds (the job's own when it lists no attempts)."""
    attempts = job.get("attempts") or []
    timed = attempts[-1] if attempts and isinstance(attempts[-1], dict) else job
    started = _epoch_ms(path, timed, index, "startedAt")
    stopped = _epoch_ms(path, timed, index, "stoppedAt")
    # NOTE: the difference in whole milliseconds, then seconds: 731 ms is 0.731 s, not 0.7309999
    return (stopped - started) / 1000.0 if stopped >= started else np.nan


def _requirements(container: dict) -> tuple[float, float]:
    """(vCPUs, MiB) of one container, NaN where it says nothing."""
    found = {
        r.get("type"): r.get("value")
        for r in container.get("resourceRequirements") or []
        if isinstance(r, dict)
    }
    vcpus = found.get("VCPU", container.get("vcpus"))
    memory = found.get("MEMORY", container.get("memory"))
    return _number(vcpus), _number(memory)


def _number(value: Any) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _resources(job: dict) -> tuple[float, float]:
    """A job's (vCPUs, MiB): its container, or its task's containers summed."""
    if isinstance(job.get("container"), dict):
        return _requirements(job["container"])
    tasks = (job.get("ecsProperties") or {}).get("taskProperties") or []
    containers = tasks[0].get("containers", []) if tasks else []
    pairs = [_requirements(c) for c in containers if isinstance(c, dict)]
    if not pairs:
        return np.nan, np.nan
    return float(np.nansum([p[0] for p in pairs])), float(np.nansum([p[1] for p in pairs]))


def _exit_code(job: dict) -> float:
    attempts = job.get("attempts") or []
    container = (
        (attempts[-1].get("container") if attempts and isinstance(attempts[-1], dict) else None)
        or job.get("container")
        or {}
    )
    return _number(container.get("exitCode"))


def _name(reference: Any) -> str:
    """A queue ARN's name (``arn:…:job-queue/q`` → ``q``); a name stays itself."""
    return str(reference).rsplit("/", 1)[-1] if reference is not None else ""


def read_aws_jobs(path: Path, text: str) -> TraceTable:
    """Read DescribeJobs records (see the module docstring) into a :class:`TraceTable`.

    NOTE: with the cyclic collector paused: a 140 MB ``jobs.json`` of 100,000 jobs is millions
    of dicts, none in cycles, which full collections would otherwise rescan again and again.
    """
    with paused_gc():
        return _table(path, _records(path, text))


def _table(path: Path, jobs: list[dict]) -> TraceTable:
    """The :class:`TraceTable` of DescribeJobs records ``jobs``."""
    ids = [str(job.get("jobId") or "") for job in jobs]
    live = _latest(ids)
    sizes = [_array_size(path, job, i) if live[i] else 0 for i, job in enumerate(jobs)]
    claimed = _children(ids, sizes, live)
    owners = {parent for parent, _ in claimed.values()}
    skipped_parents = {i for i, size in enumerate(sizes) if size and i not in owners}
    units = [
        i for i in range(len(jobs)) if live[i] and i not in claimed and i not in skipped_parents
    ]
    submit_of = {i: _epoch_ms(path, jobs[i], i, "createdAt") / 1000.0 for i in units}
    order = _dependency_order(path, jobs, ids, units, submit_of, claimed)
    rows = [(i, jobs[i]) for i in order]
    first_child = {}
    for child, (parent, _) in sorted(claimed.items(), reverse=True):
        first_child[parent] = child
    resources = np.array([_unit_resources(i, jobs, first_child) for i in order], np.float64)
    status = np.array([_status(i, jobs, owners) for i in order], np.int64)
    exit_code = np.array([0.0 if i in owners else _exit_code(jobs[i]) for i in order], np.float64)
    failed_default = np.where(status == FAILED, 1, 0)
    submit = np.array([submit_of[i] for i in order], np.float64)
    return TraceTable(
        submit=submit,
        origin=float(np.nanmin(submit)) if len(submit) and not np.isnan(submit).all() else 0.0,
        run_time=np.array([_unit_run_time(path, i, jobs, owners) for i in order], np.float64),
        allocated=resources.reshape(-1, 2)[:, 0],
        requested=resources.reshape(-1, 2)[:, 0],
        used_memory=resources.reshape(-1, 2)[:, 1],
        requested_memory=resources.reshape(-1, 2)[:, 1],
        status=status,
        exit_code=np.where(np.isnan(exit_code), failed_default, exit_code).astype(np.int64),
        lines=np.array([i + 1 for i in order], np.int64),
        memory_per_processor=False,
        groups={
            "queue": np.array([_name(job.get("jobQueue")) for _, job in rows], dtype=str),
            "user": np.array([str(job.get("shareIdentifier") or "") for _, job in rows], dtype=str),
        },
        array_parents=len(skipped_parents),
        links=_links(path, jobs, ids, order, claimed, sizes, live),
        record_counts={"records": len(jobs), "duplicates": live.count(False)},
    )


def _latest(ids: list[str]) -> list[bool]:
    """Whether each record is its jobId's last in the file (overlapping DescribeJobs pages
    repeat a job: its latest record wins); records without a jobId are all kept."""
    last = {job_id: i for i, job_id in enumerate(ids) if job_id}
    return [not job_id or last[job_id] == i for i, job_id in enumerate(ids)]


def _array_size(path: Path, job: dict, i: int) -> int:
    """An array parent's size (0 for any other record); raises TraceError for an
    ``arrayProperties`` that is not an object, or a size outside AWS's 2–10,000."""
    properties = job.get("arrayProperties")
    if properties is None:
        return 0
    if not isinstance(properties, dict):
        raise TraceError(
            path, None, f"job {i + 1} ({job.get('jobId')}): arrayProperties must be an object"
        )
    size = properties.get("size")
    if size is None:
        return 0
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_ARRAY <= size <= MAX_ARRAY:
        message = (
            f"arrayProperties.size must be a whole number {MIN_ARRAY}–{MAX_ARRAY:,}, got {size!r}"
        )
        raise TraceError(path, None, f"job {i + 1} ({job.get('jobId')}): {message}")
    return size


def _children(ids: list[str], sizes: list[int], live: list[bool]) -> dict[int, tuple[int, int]]:
    """Child record → (parent record, index), for ids ``<parent id>:<index>`` of a parent in
    the file with ``index`` below its size."""
    parents = {job_id: i for i, job_id in enumerate(ids) if sizes[i] and job_id}
    claimed = {}
    for i, job_id in enumerate(ids):
        parent_id, colon, index = job_id.rpartition(":")
        parent = parents.get(parent_id) if colon and index.isdigit() and live[i] else None
        if parent is not None and int(index) < sizes[parent]:
            claimed[i] = (parent, int(index))
    return claimed


def _status(i: int, jobs: list[dict], owners: set[int]) -> int:
    """A row's SWF status code (an array replays its children's, so it counts as succeeded)."""
    return SUCCEEDED if i in owners else _STATUS.get(str(jobs[i].get("status")), CANCELLED)


def _unit_run_time(path: Path, i: int, jobs: list[dict], owners: set[int]) -> float:
    """A row's run time: none for an array (its children hold theirs), nothing to run for a
    job failed by a dependency before it started."""
    if i in owners:
        return 0.0
    run_time = _run_time(path, jobs[i], i)
    if np.isnan(run_time) and _failed_waiting(jobs[i]):
        return 0.0
    return run_time


def _failed_waiting(job: dict) -> bool:
    """Whether ``job`` FAILED without starting while it had dependencies."""
    return _failed_unstarted(job) and bool(job.get("dependsOn"))


def _failed_unstarted(job: dict) -> bool:
    """Whether ``job`` FAILED without ever starting (no attempt)."""
    return job.get("status") == "FAILED" and not job.get("attempts") and not job.get("startedAt")


def _unit_resources(i: int, jobs: list[dict], first_child: dict[int, int]) -> tuple:
    """A row's (vCPUs, MiB): an array parent's own, else its first child record's."""
    vcpus, memory = _resources(jobs[i])
    if np.isnan(vcpus) and i in first_child:
        vcpus, memory = _resources(jobs[first_child[i]])
    return vcpus, memory


def _depends_on(job: dict) -> list[tuple[str | None, str | None]]:
    """A record's ``dependsOn`` as (jobId, type) pairs."""
    pairs = []
    for dependency in job.get("dependsOn") or []:
        if isinstance(dependency, dict):
            job_id, kind = dependency.get("jobId"), dependency.get("type")
            pairs.append((str(job_id) if job_id else None, str(kind) if kind else None))
    return pairs


def _dependency_order(
    path: Path,
    jobs: list[dict],
    ids: list[str],
    units: list[int],
    submit_of: dict[int, float],
    claimed: dict[int, tuple[int, int]],
) -> list[int]:
    """The rows in ``createdAt`` order (file order among equal times), each after the rows it
    depends on. Raises TraceError for a job depending on one created after it, or a cycle."""
    row_of = {ids[i]: i for i in units if ids[i]}
    row_of.update({ids[c]: parent for c, (parent, _) in claimed.items()})
    needs = {i: {row_of[t] for t, _ in _depends_on(jobs[i]) if t in row_of} - {i} for i in units}
    waiting = {i: len(targets) for i, targets in needs.items()}
    dependants: dict[int, list[int]] = {}
    for i, targets in needs.items():
        for target in targets:
            dependants.setdefault(target, []).append(i)
    ready = [(submit_of[i], i) for i in units if not waiting[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        at, i = heapq.heappop(ready)
        order.append(i)
        for dependant in dependants.get(i, ()):
            waiting[dependant] -= 1
            if not waiting[dependant]:
                heapq.heappush(ready, (submit_of[dependant], dependant))
    if len(order) < len(units):
        cycle = min(i for i in units if waiting[i])
        message = f"job {cycle + 1} ({ids[cycle]}): its dependsOn makes a cycle"
        raise TraceError(path, None, message)
    for before, after in itertools.pairwise(order):
        if submit_of[after] < submit_of[before]:  # NOTE: ``after`` waited for a later job
            target = max(needs[after], key=submit_of.__getitem__)
            message = f"job {after + 1} ({ids[after]}) depends on {ids[target]}, created after it"
            raise TraceError(path, None, message)
    return order


def _links(
    path: Path,
    jobs: list[dict],
    ids: list[str],
    order: list[int],
    claimed: dict[int, tuple[int, int]],
    sizes: list[int],
    live: list[bool],
) -> TraceLinks | None:
    """The arrays and dependencies of the rows in ``order`` (None when there are neither)."""
    row = {i: r for r, i in enumerate(order)}
    kids: dict[int, dict[int, int]] = {}
    for child, (parent, index) in claimed.items():
        kids.setdefault(parent, {})[index] = child
    depends = {row[i]: pairs for i in order if (pairs := _depends_on(jobs[i]))}
    if not kids and not depends:
        return None
    return TraceLinks(
        ids=[ids[i] for i in order],
        children={row[p]: _array_children(path, jobs, k, sizes[p]) for p, k in kids.items()},
        depends=depends,
        child_of={ids[c]: (row[p], index) for c, (p, index) in claimed.items()},
        failed_ids=frozenset(
            ids[i]
            for i, job in enumerate(jobs)
            if live[i] and ids[i] and job.get("status") != "SUCCEEDED"
        ),
        unstarted_failed=frozenset(
            row[i] for i in order if i not in kids and _failed_waiting(jobs[i])
        ),  # NOTE: an array parent's status is its children's
    )


def _array_children(path: Path, jobs: list[dict], kids: dict[int, int], size: int) -> ArrayChildren:
    """Run times and exit codes of an array's children by index (NaN: no record, or it never
    ran), and which children FAILED without ever starting (the replay fails them at once)."""
    run_time = np.full(size, np.nan)
    exit_code = np.zeros(size, np.int64)
    unstarted = np.zeros(size, bool)
    for index, i in kids.items():
        job = jobs[i]
        unstarted[index] = _failed_unstarted(job)
        run_time[index] = 0.0 if unstarted[index] else _run_time(path, job, i)
        if job.get("status") == "FAILED":
            code = _exit_code(job)
            exit_code[index] = max(int(code), 1) if code == code else 1
    return ArrayChildren(run_time=run_time, exit_code=exit_code, failed_unstarted=unstarted)
