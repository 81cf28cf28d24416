"""Job records as columns: how each JOB column is read from a Job, a block of jobs at a time.

The recorder seals jobs that have ended into these columns while the run goes on (so a
million-job run never holds a million Job objects), and the rest once the run is over.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

import numpy as np

from batchsim.engine.job import Job, child_id
from batchsim.engine.spec import JobSpec
from batchsim.records import JOB, Columns, as_column


def _nodes(spec: JobSpec) -> int | None:
    return spec.shape.nodes or None


def _ids(jobs: list[Job]) -> tuple[list[str], list[str | None]]:
    """Return the jobId and arrayParent columns of ``jobs``; an array's own id is formatted
    once per block, not once per child (twice, with arrayParent)."""
    parent_ids: dict[Job, str] = {}
    ids: list[str] = []
    parents: list[str | None] = []
    for job in jobs:
        parent = job.parent
        if parent is None:
            ids.append(job.job_id)
            parents.append(None)
            continue
        parent_id = parent_ids.get(parent)
        if parent_id is None:
            parent_id = parent_ids[parent] = parent.job_id
        ids.append(child_id(parent_id, job.array_index))
        parents.append(parent_id)
    return ids, parents


def job_values(jobs: list[Job]) -> dict[str, list]:
    """Return each JOB column read from the Jobs themselves, as a list over ``jobs``.

    NOTE: one comprehension per column rather than ``map(attrgetter(...))``: the interpreter
    specialises the attribute read (and mypyc compiles it to a field load), about a third
    faster per value interpreted; sealing is a fifth of the engine's time per job.
    """
    job_ids, parent_ids = _ids(jobs)
    return {
        "jobId": job_ids,
        "jobName": [job.name for job in jobs],
        "status": [job.state for job in jobs],
        "statusReason": [job.status_reason for job in jobs],
        "attempts": [job.attempts for job in jobs],
        "exitCode": [job.exit_code for job in jobs],
        "createdAt": [job.created_at for job in jobs],
        "pendingAt": [job.pending_at for job in jobs],
        "runnableAt": [job.runnable_at for job in jobs],
        "startingAt": [job.starting_at for job in jobs],
        "startedAt": [job.started_at for job in jobs],
        "stoppedAt": [job.stopped_at for job in jobs],
        "computeEnvironment": [job.compute_environment for job in jobs],
        "instanceType": [job.instance_type for job in jobs],
        "arrayParent": parent_ids,
        "arrayIndex": [job.array_index for job in jobs],
        "arraySize": [job.size for job in jobs],
    }


# How each column shared by a workload entry's jobs is read from their JobSpec (read once per
# spec). With :func:`job_values` they name every JOB column (tested).
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
    codes = np.fromiter(map(code_of.__getitem__, map(id, specs)), np.intp, len(specs))
    values = job_values(jobs)
    columns = {}
    for f in JOB.fields:
        if f.name in SPEC_GETTERS:
            per_spec = list(map(SPEC_GETTERS[f.name], distinct.values()))
            columns[f.name] = as_column(f, per_spec)[codes]
        else:
            columns[f.name] = as_column(f, values.pop(f.name))
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
