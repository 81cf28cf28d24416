"""DescribeJobs JSON as a trace: ``{"jobs": [...]}`` or a list of ``JobDetail`` records.

Times are epoch milliseconds. A job's runtime is its last attempt's ``stoppedAt − startedAt``
(the job's own pair when it lists no attempts); its vCPUs and memory come from
``resourceRequirements`` (else the older ``vcpus``/``memory``), of ``container`` or of the
first ``ecsProperties`` task's containers summed. The PascalCase form Step Functions returns
(``JobId``, ``CreatedAt``, ``Attempts[].Container.ExitCode``) is read the same way. Array
parents (``arrayProperties.size``) are counted, not replayed: their children are records of
their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from batchsim.scenario.traces import CANCELLED, FAILED, SUCCEEDED, TraceError, TraceTable

_STATUS = {"SUCCEEDED": SUCCEEDED, "FAILED": FAILED}


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
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TraceError(path, error.lineno, f"is not JSON: {error.msg}") from None
    data = _camel(data)
    jobs = data.get("jobs") if isinstance(data, dict) else data
    if not isinstance(jobs, list) or not all(isinstance(job, dict) for job in jobs):
        raise TraceError(path, None, 'expected {"jobs": [...]} or a list of DescribeJobs records')
    return jobs


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
    """Read DescribeJobs records (see the module docstring) into a :class:`TraceTable`."""
    jobs = _records(path, text)
    parents = [bool((job.get("arrayProperties") or {}).get("size")) for job in jobs]
    rows = [(i, job) for i, job in enumerate(jobs) if not parents[i]]
    resources = np.array([_resources(job) for _, job in rows], dtype=np.float64).reshape(-1, 2)
    status = np.array([_STATUS.get(str(job.get("status")), CANCELLED) for _, job in rows], np.int64)
    exit_code = np.array([_exit_code(job) for _, job in rows], np.float64)
    failed_default = np.where(status == FAILED, 1, 0)
    submit = np.array(
        [_epoch_ms(path, job, i, "createdAt") / 1000.0 for i, job in rows], np.float64
    )
    return TraceTable(
        submit=submit,
        origin=float(np.nanmin(submit)) if len(submit) and not np.isnan(submit).all() else 0.0,
        run_time=np.array([_run_time(path, job, i) for i, job in rows], np.float64),
        allocated=resources[:, 0],
        requested=resources[:, 0],
        used_memory=resources[:, 1],
        requested_memory=resources[:, 1],
        status=status,
        exit_code=np.where(np.isnan(exit_code), failed_default, exit_code).astype(np.int64),
        lines=np.array([i + 1 for i, _ in rows], np.int64),
        memory_per_processor=False,
        groups={
            "queue": np.array([_name(job.get("jobQueue")) for _, job in rows], dtype=str),
            "user": np.array([str(job.get("shareIdentifier") or "") for _, job in rows], dtype=str),
        },
        metadata={"records": str(len(jobs))},
        array_parents=sum(parents),
    )
