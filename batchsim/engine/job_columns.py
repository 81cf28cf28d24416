"""Job records as columns: how each JOB column is read from a Job, a block of jobs at a time.

The recorder seals jobs that have ended into these columns while the run goes on (so a
million-job run never holds a million Job objects), and the rest once the run is over.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

import numpy as np

from batchsim.engine.job import Job
from batchsim.engine.spec import JobSpec
from batchsim.records import JOB, Columns, as_column


def _parent_id(job: Job) -> str | None:
    parent = job.parent
    return parent.job_id if parent is not None else None


def _nodes(spec: JobSpec) -> int | None:
    return spec.shape.nodes or None


# How each job column is read: from the Job, or from its JobSpec (shared by a workload entry's
# jobs, so read once per spec). Together they name every JOB column (tested).
JOB_GETTERS: dict[str, Callable[[Job], object]] = {
    "jobId": attrgetter("job_id"), "jobName": attrgetter("name"), "status": attrgetter("state"),
    "statusReason": attrgetter("status_reason"), "attempts": attrgetter("attempts"),
    "exitCode": attrgetter("exit_code"), "createdAt": attrgetter("created_at"),
    "pendingAt": attrgetter("pending_at"), "runnableAt": attrgetter("runnable_at"),
    "startingAt": attrgetter("starting_at"), "startedAt": attrgetter("started_at"),
    "stoppedAt": attrgetter("stopped_at"), "computeEnvironment": attrgetter("compute_environment"),
    "instanceType": attrgetter("instance_type"), "arrayParent": _parent_id,
    "arrayIndex": attrgetter("array_index"), "arraySize": attrgetter("size"),
}  # fmt: skip
SPEC_GETTERS: dict[str, Callable[[JobSpec], object]] = {
    "workload": attrgetter("entry"), "jobDefinition": attrgetter("job_definition"),
    "jobQueue": attrgetter("queue"), "vcpus": attrgetter("shape.vcpus"),
    "memory": attrgetter("shape.memory_mib"), "gpus": attrgetter("shape.gpus"),
    "numNodes": _nodes,
}  # fmt: skip
JOBS_PER_BLOCK = 65_536
"""Jobs turned into columns at once (bounds the temporary lists of one block)."""


def block_columns(jobs: list[Job]) -> Columns:
    """Return the JOB columns of ``jobs`` (at most a block); spec columns are read once per
    distinct spec."""
    specs = list(map(attrgetter("spec"), jobs))
    distinct = dict(zip(map(id, specs), specs, strict=True))
    code_of = {key: code for code, key in enumerate(distinct)}
    codes = np.array(list(map(code_of.__getitem__, map(id, specs))), dtype=np.intp)
    columns = {}
    for f in JOB.fields:
        if f.name in SPEC_GETTERS:
            per_spec = list(map(SPEC_GETTERS[f.name], distinct.values()))
            columns[f.name] = as_column(f, per_spec)[codes]
        else:
            columns[f.name] = as_column(f, list(map(JOB_GETTERS[f.name], jobs)))
    return columns


def sealed_in_blocks(jobs: list[Job]) -> list[tuple[np.ndarray, Columns]]:
    """Return (the jobs' ``index``es, their JOB columns) a block at a time, emptying ``jobs``
    as it goes (each block's Job objects can be freed before the next block's columns are
    built)."""
    blocks = []
    for start in range(0, len(jobs), JOBS_PER_BLOCK):
        block = jobs[start : start + JOBS_PER_BLOCK]
        jobs[start : start + JOBS_PER_BLOCK] = [None] * len(block)  # type: ignore[list-item]
        index = np.fromiter(map(attrgetter("index"), block), dtype=np.int64, count=len(block))
        blocks.append((index, block_columns(block)))
        del block
    return blocks


def in_creation_order(blocks: list[tuple[np.ndarray, Columns]]) -> Columns:
    """Return the JOB columns of sealed ``blocks`` as one table, rows in creation order
    (``index``), releasing the blocks column by column."""
    if not blocks:
        return JOB.empty()
    index = np.concatenate([b[0] for b in blocks])
    ordered = bool(np.all(index[1:] > index[:-1]))
    order = None if ordered else np.argsort(index, kind="stable")
    columns = {}
    for name in JOB.names:
        column = np.concatenate([b[1].pop(name) for b in blocks])
        columns[name] = column if order is None else column[order]
    return columns
