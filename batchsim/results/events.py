"""EventBridge events rebuilt from the run's tables: "Batch Job State Change" from the jobs and
attempts, "Batch Job Queue Blocked" from the blocked head jobs, "EC2 Spot Instance Interruption
Warning" from the instances.

AWS emits one event per state change of a submitted job and none for entering SUBMITTED; array
children are created in PENDING, so their first event is RUNNABLE. Each event carries the job's detail as it stood at that instant: the attempts finished so far, the
``startedAt`` of the latest attempt that reached RUNNING, ``stoppedAt`` once the job is done.
Simulated seconds become wall-clock times from a fixed epoch, so the output is reproducible.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from batchsim.clock import EPOCH
from batchsim.records import Outcome

EPOCH_MS = int(EPOCH.timestamp()) * 1000
ACCOUNT = "123456789012"
REGION = "us-east-1"
DETAIL_TYPE = "Batch Job State Change"
STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
TERMINAL = frozenset({"SUCCEEDED", "FAILED"})
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "batchsim.events")
_JOB_COLUMNS = [
    "jobId", "jobName", "jobDefinition", "status", "statusReason", "exitCode", "createdAt",
    "pendingAt", "runnableAt", "stoppedAt", "jobQueue", "arrayParent", "arrayIndex", "arraySize",
]  # fmt: skip
_ATTEMPT_COLUMNS = [
    "jobId", "attempt", "runnableAt", "startingAt", "startedAt", "stoppedAt", "outcome",
    "exitCode", "statusReason", "reason",
]  # fmt: skip


def _missing(value) -> bool:
    """Whether a table cell is empty (None, NaN or pandas' NA)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def epoch_ms(seconds: float) -> int:
    """Return simulated ``seconds`` as epoch milliseconds (the unit of JobDetail times)."""
    return EPOCH_MS + round(seconds * 1000)


def iso_time(seconds: float) -> str:
    """Return simulated ``seconds`` as EventBridge's ``time``: ISO-8601 UTC, whole seconds."""
    return _iso_second(math.floor(seconds))


@lru_cache(maxsize=65536)
def _iso_second(second: int) -> str:
    return (EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _arn(region: str, account: str, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:batch:{region}:{account}:{kind}/{name}"


def _definition_arn(region: str, account: str, name: str) -> str:
    """Return a job definition's ARN; a name without ``:revision`` is revision 1."""
    return _arn(region, account, "job-definition", name if ":" in name else f"{name}:1")


def _attempt_detail(row) -> dict:
    """Return an AWS ``AttemptDetail`` for a finished attempt row (times in epoch ms)."""
    _, _, _, _, started_at, stopped_at, _, exit_code, status_reason, reason = row
    container = {} if _missing(exit_code) else {"exitCode": int(exit_code)}
    if not _missing(reason) and reason:
        container["reason"] = reason
    detail = {"container": container}
    if not _missing(started_at):
        detail["startedAt"] = epoch_ms(started_at)
    detail["stoppedAt"] = epoch_ms(stopped_at)
    detail["statusReason"] = "" if _missing(status_reason) else status_reason
    return detail


def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple]:
    """Yield ``frame``'s rows as plain tuples of ``columns``."""
    # NOTE: tolist() per column is several times faster than itertuples on string columns.
    return zip(*(frame[column].tolist() for column in columns), strict=True)


def _uuid5(name: str) -> str:
    """Return ``str(uuid.uuid5(_ID_NAMESPACE, name))``, without building UUID objects."""
    digest = bytearray(hashlib.sha1(_ID_NAMESPACE.bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _attempts_by_job(attempts: pd.DataFrame) -> dict[str, list[tuple]]:
    """Return each job's attempt rows in attempt order."""
    grouped: dict[str, list[tuple]] = {}
    for row in _rows(attempts, _ATTEMPT_COLUMNS):
        grouped.setdefault(row[0], []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda r: r[1])
    return grouped


def _transitions(job: tuple, tries: list[tuple]) -> list[tuple]:
    """Return a job's state changes as (time, status, attempts finished, startedAt) in order."""
    status, pending_at, runnable_at, stopped_at = job[3], job[7], job[8], job[9]
    # Array children are created in PENDING; like SUBMITTED for other jobs, that is no change.
    is_child = not _missing(job[11])
    out = [] if _missing(pending_at) or is_child else [(pending_at, "PENDING", 0, None)]
    finished, started = 0, None
    for t in tries:
        out.append((t[2], "RUNNABLE", finished, started))
        out.append((t[3], "STARTING", finished, started))
        if not _missing(t[4]):
            started = t[4]
            out.append((started, "RUNNING", finished, started))
        finished += t[6] != Outcome.UNFINISHED
    last = tries[-1] if tries else None
    ended_with_last = status in TERMINAL and last is not None and stopped_at == last[5]
    # A failed attempt that did not end the job put it back in RUNNABLE at the job's runnableAt.
    requeued = last is None or (
        last[6] not in (Outcome.SUCCEEDED, Outcome.UNFINISHED) and not ended_with_last
    )
    if requeued and not _missing(runnable_at):
        out.append((runnable_at, "RUNNABLE", finished, started))
    if status in TERMINAL and not _missing(stopped_at):
        out.append((stopped_at, status, finished, started))
    return out


class _Builder:
    """Turns sorted transitions into event dicts, tracking array children for status summaries."""

    def __init__(self, jobs: list[tuple], finished: list[list[dict]], account: str, region: str):
        self.finished, self.account = finished, account
        self.region = region
        # NOTE: everything that does not change between a job's events is built once, here.
        self.static = [self._static(job) for job in jobs]
        position = {job[0]: i for i, job in enumerate(jobs)}
        self.parent_of = [None if _missing(job[11]) else position.get(job[11]) for job in jobs]
        self.state = ["SUBMITTED" if p is None else "PENDING" for p in self.parent_of]
        self.summary: dict[int, dict[str, int]] = {}
        for parent in self.parent_of:
            if parent is not None:
                counts = self.summary.setdefault(parent, dict.fromkeys(STATES, 0))
                counts["PENDING"] += 1

    def _static(self, job: tuple) -> tuple:
        """Return (jobArn, leading detail keys, definition ARN, createdAt ms, statusReason,
        exitCode, array size, array index) of one job row."""
        arn = _arn(self.region, self.account, "job", job[0])
        queue = _arn(self.region, self.account, "job-queue", job[10])
        head = {"jobArn": arn, "jobName": job[1], "jobId": job[0], "jobQueue": queue}
        definition = _definition_arn(self.region, self.account, job[2])
        reason = None if _missing(job[4]) else job[4]
        exit_code = None if _missing(job[5]) else int(job[5])
        size = None if _missing(job[13]) else int(job[13])
        index = None if _missing(job[12]) else int(job[12])
        return arn, head, definition, epoch_ms(job[6]), reason, exit_code, size, index

    def event(self, pos: int, at: float, status: str, n_finished: int, started) -> dict:
        """Return the event for job ``pos`` entering ``status`` at ``at`` seconds."""
        arn, head, definition, created, reason, exit_code, size, index = self.static[pos]
        self._track_child(pos, status)
        at_ms = epoch_ms(at)
        terminal = status in TERMINAL
        detail = {**head, "status": status}
        if terminal and reason is not None:
            detail["statusReason"] = reason
        detail["attempts"] = self.finished[pos][:n_finished]
        detail["createdAt"] = created
        if started is not None:
            detail["startedAt"] = epoch_ms(started)
        if terminal:
            detail["stoppedAt"] = at_ms
        detail["jobDefinition"] = definition
        if terminal and exit_code is not None:
            detail["container"] = {"exitCode": exit_code}
        if size is not None:
            detail["arrayProperties"] = {"statusSummary": self._status_summary(pos), "size": size}
        elif index is not None:
            detail["arrayProperties"] = {"index": index}
        return {
            "version": "0",
            "id": _uuid5(f"{head['jobId']}/{status}/{at_ms}"),
            "detail-type": DETAIL_TYPE,
            "source": "aws.batch",
            "account": self.account,
            "time": iso_time(at),
            "region": self.region,
            "resources": [arn],
            "detail": detail,
        }

    def _track_child(self, pos: int, status: str) -> None:
        parent = self.parent_of[pos]
        if parent is not None:
            counts = self.summary[parent]
            counts[self.state[pos]] -= 1
            counts[status] += 1
        self.state[pos] = status

    def _status_summary(self, pos: int) -> dict[str, int]:
        """Return a copy of the parent's children-per-state counts as they stand now."""
        return dict(self.summary.get(pos) or dict.fromkeys(STATES, 0))


def job_state_events(
    jobs: pd.DataFrame, attempts: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield a "Batch Job State Change" event for every state change after submission.

    ``jobs`` and ``attempts`` are the run's tables (seconds from t = 0). Events come in time
    order; ties keep the job's table order and, within a job, its lifecycle order. ARNs use
    ``account`` and ``region``. Each event's ``id`` is a UUID derived from (jobId, status, time),
    the key AWS tells consumers to deduplicate on, so reruns give the same ids.
    """
    job_rows = list(_rows(jobs, _JOB_COLUMNS))
    tries_of = _attempts_by_job(attempts)
    times, ranks, positions, payloads, finished = [], [], [], [], []
    for pos, job in enumerate(job_rows):
        tries = tries_of.get(job[0], [])
        finished.append([_attempt_detail(t) for t in tries if t[6] != Outcome.UNFINISHED])
        is_parent = not _missing(job[13])
        for at, status, n_finished, started in _transitions(job, tries):
            times.append(at)
            # NOTE: an array parent's roll-up to SUCCEEDED/FAILED sorts after its children's
            # events at the same instant, since it is caused by the last of them.
            ranks.append(1 if is_parent and status in TERMINAL else 0)
            positions.append(pos)
            payloads.append((status, n_finished, started))
    # lexsort is stable, so equal keys keep each job's lifecycle order.
    order = np.lexsort((np.asarray(positions), np.asarray(ranks), np.asarray(times, dtype=float)))
    builder = _Builder(job_rows, finished, account, region)
    for i in order.tolist():
        yield builder.event(positions[i], times[i], *payloads[i])


SPOT_WARNING = "EC2 Spot Instance Interruption Warning"


def spot_warning_events(
    instances: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield EC2's "EC2 Spot Instance Interruption Warning" for every notice, in time order."""
    noticed = instances[
        (instances["lifecycle"] == "spot") & instances["interruptionNoticeAt"].notna()
    ]
    for instance_id, at in sorted(
        zip(noticed["instanceId"], noticed["interruptionNoticeAt"], strict=True),
        key=lambda pair: (pair[1], pair[0]),
    ):
        yield {
            "version": "0",
            "id": _uuid5(f"{instance_id}/spot-warning"),
            "detail-type": SPOT_WARNING,
            "source": "aws.ec2",
            "account": account,
            "time": iso_time(at),
            "region": region,
            "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
            "detail": {"instance-id": instance_id, "instance-action": "terminate"},
        }


BLOCKED = "Batch Job Queue Blocked"


def blocked_events(
    blocked: pd.DataFrame, jobs: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield a "Batch Job Queue Blocked" event for every blocked head job, in time order:
    resources are the job and queue ARNs, the detail the job as it stood (RUNNABLE)."""
    if blocked.empty:
        return
    rows = jobs.set_index("jobId")
    for at, job_id, queue, reason in _rows(blocked, ["time", "jobId", "jobQueue", "statusReason"]):
        job = rows.loc[job_id]
        job_arn = _arn(region, account, "job", job_id)
        queue_arn = _arn(region, account, "job-queue", queue)
        yield {
            "version": "0",
            "id": _uuid5(f"{job_id}/blocked/{epoch_ms(at)}"),
            "detail-type": BLOCKED,
            "source": "aws.batch",
            "account": account,
            "time": iso_time(at),
            "region": region,
            "resources": [job_arn, queue_arn],
            "detail": {
                "jobArn": job_arn,
                "jobName": job["jobName"],
                "jobId": job_id,
                "jobQueue": queue_arn,
                "status": "RUNNABLE",
                "statusReason": reason,
                "createdAt": epoch_ms(job["createdAt"]),
                "jobDefinition": _definition_arn(region, account, job["jobDefinition"]),
            },
        }


def run_events(
    jobs: pd.DataFrame,
    attempts: pd.DataFrame,
    instances: pd.DataFrame,
    blocked: pd.DataFrame | None = None,
) -> Iterator[dict]:
    """Yield every event of a run, job state changes, blocked queues and Spot warnings merged
    in time order."""
    streams = [job_state_events(jobs, attempts), spot_warning_events(instances)]
    if blocked is not None:
        streams.append(blocked_events(blocked, jobs))
    return heapq.merge(*streams, key=_event_time)


def _event_time(event: dict) -> str:
    return event["time"]  # NOTE: ISO strings of one fixed format sort as times do
