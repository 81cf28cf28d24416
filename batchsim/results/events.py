"""EventBridge events rebuilt from the run's tables: "Batch Job State Change" from the jobs and
attempts, "Batch Job Queue Blocked" from the blocked head jobs, "EC2 Spot Instance Interruption
Warning" from the instances.

AWS emits one event per state change of a submitted job and none for entering SUBMITTED; array
children are created in PENDING, so their first event is RUNNABLE. Each event carries the job's detail as it stood at that instant: the attempts finished so far, the
``startedAt`` of the latest attempt that reached RUNNING, ``stoppedAt`` once the job is done.
Simulated seconds become wall-clock times from a fixed epoch, so the output is reproducible.

Events are produced as JSON lines first (:func:`run_event_lines`), the form ``events.jsonl`` is
written in, because building and encoding millions of dicts is most of the cost of a big run;
:func:`job_state_events` and :func:`run_events` decode those same lines, so the file and the
API never disagree (the Spot-warning and blocked-queue events are few, built as dicts).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache
from operator import itemgetter

import numpy as np
import orjson
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


def epoch_ms(seconds: float) -> int:
    """Return simulated ``seconds`` as epoch milliseconds (the unit of JobDetail times)."""
    return EPOCH_MS + round(seconds * 1000)


def iso_time(seconds: float) -> str:
    """Return simulated ``seconds`` as EventBridge's ``time``: ISO-8601 UTC, whole seconds.

    Years after 9999 use ISO 8601's expanded form with a sign and six digits, as JavaScript's
    ``Date.toISOString`` does ('+012345-06-07T08:09:10Z'), so any time a scenario allows has
    an exact time and nothing overflows.
    """
    days, second = divmod(math.floor(seconds), 86400)
    return _iso_day(days) + _clock_times()[second]


@lru_cache(maxsize=1)
def _clock_times() -> list[str]:
    """'HH:MM:SSZ' of every second of a day, by second (built on first use)."""
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(86400)]


@lru_cache(maxsize=4096)
def _iso_day(days: int) -> str:
    """'YYYY-MM-DDT' of the day ``days`` after t = 0 ('+YYYYYY-MM-DDT' after year 9999)."""
    try:
        return (EPOCH + timedelta(days=days)).strftime("%Y-%m-%dT")
    except OverflowError:
        return _expanded_iso(days * 86400)[:14]


def _expanded_iso(second: int) -> str:
    """ISO time of a ``second`` after t = 0 beyond datetime's year 9999, computed by hand."""
    days, rest = divmod(int(EPOCH.timestamp()) + second, 86400)
    year, month, day = _civil_from_days(days)
    clock = f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
    return f"+{year:06d}-{month:02d}-{day:02d}T{clock}Z"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of ``days`` since 1970-01-01 in the proleptic Gregorian calendar.

    Howard Hinnant's ``civil_from_days`` (400-year eras of 146,097 days, March-based years).
    """
    era, day_of_era = divmod(days + 719468, 146097)
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def _json(value) -> str:
    """``value`` as compact JSON text (strings escaped as JSON requires)."""
    return orjson.dumps(value).decode()


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
    container: dict[str, int | str] = {} if exit_code is None else {"exitCode": int(exit_code)}
    if reason is not None and reason:
        container["reason"] = reason
    detail: dict[str, object] = {"container": container}
    if started_at is not None:
        detail["startedAt"] = epoch_ms(started_at)
    detail["stoppedAt"] = epoch_ms(stopped_at)
    detail["statusReason"] = "" if status_reason is None else status_reason
    return detail


def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple]:
    """Yield ``frame``'s rows as plain tuples of ``columns``, None in every empty cell."""
    # NOTE: tolist() per column is several times faster than itertuples on string columns.
    return zip(*(cells(frame[column]) for column in columns), strict=True)


def cells(column: pd.Series) -> list:
    """Return ``column``'s values as Python objects, None where empty (NaN, NA)."""
    empty = column.isna().to_numpy()
    if not empty.any():
        return column.tolist()
    values = column.to_numpy(dtype=object, copy=True)
    values[empty] = None
    return values.tolist()


_ID_PREFIX = _ID_NAMESPACE.bytes
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 4122


def _uuid5(name: str) -> str:
    """Return ``str(uuid.uuid5(_ID_NAMESPACE, name))``, without building UUID objects."""
    h = hashlib.sha1(_ID_PREFIX + name.encode()).hexdigest()
    # NOTE: version 5 replaces digit 12; the variant bits are the top two of digit 16.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _attempts_by_job(attempts: pd.DataFrame) -> dict[str, list[tuple]]:
    """Return each job's attempt rows in attempt order."""
    grouped: dict[str, list[tuple]] = {}
    for row in _rows(attempts, _ATTEMPT_COLUMNS):
        grouped.setdefault(row[0], []).append(row)
    for rows in grouped.values():
        if len(rows) > 1:
            rows.sort(key=lambda r: r[1])
    return grouped


def _transitions(job: tuple, tries: list[tuple]) -> list[tuple]:
    """Return a job's state changes as (time, status, attempts finished, startedAt) in order."""
    status, pending_at, runnable_at, stopped_at = job[3], job[7], job[8], job[9]
    # Array children are created in PENDING; like SUBMITTED for other jobs, that is no change.
    is_child = job[11] is not None
    out = [] if pending_at is None or is_child else [(pending_at, "PENDING", 0, None)]
    finished, started = 0, None
    for t in tries:
        out.append((t[2], "RUNNABLE", finished, started))
        out.append((t[3], "STARTING", finished, started))
        if t[4] is not None:
            started = t[4]
            out.append((started, "RUNNING", finished, started))
        finished += t[6] != Outcome.UNFINISHED
    last = tries[-1] if tries else None
    ended_with_last = status in TERMINAL and last is not None and stopped_at == last[5]
    # A failed attempt that did not end the job put it back in RUNNABLE at the job's runnableAt.
    requeued = last is None or (
        last[6] not in (Outcome.SUCCEEDED, Outcome.UNFINISHED) and not ended_with_last
    )
    if requeued and runnable_at is not None:
        out.append((runnable_at, "RUNNABLE", finished, started))
    if status in TERMINAL and stopped_at is not None:
        out.append((stopped_at, status, finished, started))
    return out


class _Builder:
    """Turns sorted transitions into event lines, tracking array children for status summaries."""

    def __init__(self, jobs: list[tuple], finished: list[list[str]], account: str, region: str):
        self.jobs, self.finished = jobs, finished
        self.account, self.region, self.region_json = account, region, _json(region)
        self.after_id = f'","detail-type":"{DETAIL_TYPE}","source":"aws.batch","account":{_json(account)},"time":"'
        # NOTE: what does not change between a job's events is encoded once, when its first
        # event is written, and dropped after its last, so memory follows the jobs in flight.
        self.static: dict[int, tuple] = {}
        self.texts: dict[tuple[str, str], str] = {}
        position = {job[0]: i for i, job in enumerate(jobs)}
        self.parent_of = [None if job[11] is None else position.get(job[11]) for job in jobs]
        self.state = {i: "PENDING" for i, p in enumerate(self.parent_of) if p is not None}
        self.summary: dict[int, dict[str, int]] = {}
        for parent in self.parent_of:
            if parent is not None:
                counts = self.summary.setdefault(parent, dict.fromkeys(STATES, 0))
                counts["PENDING"] += 1

    def _queue(self, name: str) -> str:
        """The JSON of a queue's ARN (cached: a run has a few queues)."""
        text = self.texts.get(("q", name))
        if text is None:
            text = self.texts[("q", name)] = _json(
                _arn(self.region, self.account, "job-queue", name)
            )
        return text

    def _definition(self, name: str) -> str:
        """The ``jobDefinition`` member of a job's detail (cached: a run has a few)."""
        text = self.texts.get(("d", name))
        if text is None:
            arn = _definition_arn(self.region, self.account, name)
            text = self.texts[("d", name)] = f',"jobDefinition":{_json(arn)}'
        return text

    def _static(self, pos: int) -> tuple:
        """Return one job's fixed JSON pieces: (jobId, text between time and status, attempts
        lists by count, createdAt, terminal extras (statusReason, container), the rest)."""
        job = self.jobs[pos]
        job_id = _json(job[0])
        arn = _json(_arn(self.region, self.account, "job", job[0]))
        middle = (
            f'","region":{self.region_json},"resources":[{arn}],"detail":{{"jobArn":{arn},'
            f'"jobName":{_json(job[1])},"jobId":{job_id},"jobQueue":{self._queue(job[10])},'
            '"status":"'
        )
        attempts, lists = self.finished[pos], ["[]"]
        for n in range(1, len(attempts) + 1):
            lists.append("[" + ",".join(attempts[:n]) + "]")
        reason = "" if job[4] is None else f',"statusReason":{_json(job[4])}'
        container = "" if job[5] is None else f',"container":{{"exitCode":{int(job[5])}}}'
        definition = self._definition(job[2])
        index = "" if job[12] is None else f',"arrayProperties":{{"index":{int(job[12])}}}'
        size = None if job[13] is None else int(job[13])
        created = f',"createdAt":{epoch_ms(job[6])}'
        return job[0], middle, lists, created, reason, container, definition, index, size

    def line(self, pos: int, at: float, status: str, n_finished: int, started) -> str:
        """Return the event line for job ``pos`` entering ``status`` at ``at`` seconds."""
        static = self.static.get(pos)
        if static is None:
            static = self.static[pos] = self._static(pos)
        job_id, middle, lists, created, reason, container, definition, index, size = static
        parent = self.parent_of[pos]
        if parent is not None:
            self._track_child(pos, parent, status)
        at_ms = EPOCH_MS + round(at * 1000)
        terminal = status in TERMINAL
        if started is not None:
            created = f'{created},"startedAt":{EPOCH_MS + round(started * 1000)}'
        if terminal:
            del self.static[pos]  # NOTE: a terminal state is a job's last event
            created = f'{created},"stoppedAt":{at_ms}'
            definition += container
        else:
            reason = ""
        if size is not None:
            summary = _json({"statusSummary": self._status_summary(pos), "size": size})
            index = f',"arrayProperties":{summary}'
        return (
            f'{{"version":"0","id":"{_uuid5(f"{job_id}/{status}/{at_ms}")}{self.after_id}'
            f'{iso_time(at)}{middle}{status}"{reason},"attempts":{lists[n_finished]}{created}'
            f"{definition}{index}}}}}"
        )

    def _track_child(self, pos: int, parent: int, status: str) -> None:
        """Move array child ``pos`` to ``status`` in its parent's (``parent``) counts."""
        counts = self.summary[parent]
        counts[self.state[pos]] -= 1
        counts[status] += 1
        self.state[pos] = status

    def _status_summary(self, pos: int) -> dict[str, int]:
        """Return the parent's children-per-state counts as they stand now."""
        return self.summary.get(pos) or dict.fromkeys(STATES, 0)


def job_state_lines(
    jobs: pd.DataFrame, attempts: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[tuple[int, str]]:
    """Yield (whole second, JSON line) of every "Batch Job State Change" after submission.

    The lines are :func:`job_state_events`' events, encoded; see there for order and ids.
    """
    job_rows = list(_rows(jobs, _JOB_COLUMNS))
    tries_of = _attempts_by_job(attempts)
    changes: list[tuple] = []
    counts: list[int] = []
    raised: list[int] = []
    finished: list[list[str]] = []
    for job in job_rows:
        tries = tries_of.pop(job[0], [])
        finished.append([_json(_attempt_detail(t)) for t in tries if t[6] != Outcome.UNFINISHED])
        moves = _transitions(job, tries)
        if job[13] is not None:
            # NOTE: an array parent's roll-up to SUCCEEDED/FAILED sorts after its children's
            # events at the same instant, since it is caused by the last of them.
            raised += [len(changes) + k for k, move in enumerate(moves) if move[1] in TERMINAL]
        changes += moves
        counts.append(len(moves))
    times = np.fromiter((move[0] for move in changes), dtype=float, count=len(changes))
    positions = np.repeat(np.arange(len(job_rows)), counts)
    ranks = np.zeros(len(changes), dtype=np.int8)
    ranks[raised] = 1
    # lexsort is stable, so equal keys keep each job's lifecycle order.
    order = np.lexsort((positions, ranks, times))
    line = _Builder(job_rows, finished, account, region).line
    for i, pos in zip(order.tolist(), positions[order].tolist(), strict=True):
        at, status, n_finished, started = changes[i]
        yield math.floor(at), line(pos, at, status, n_finished, started)


def job_state_events(
    jobs: pd.DataFrame, attempts: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield a "Batch Job State Change" event for every state change after submission.

    ``jobs`` and ``attempts`` are the run's tables (seconds from t = 0). Events come in time
    order; ties keep the job's table order and, within a job, its lifecycle order. ARNs use
    ``account`` and ``region``. Each event's ``id`` is a UUID derived from (jobId, status, time),
    the key AWS tells consumers to deduplicate on, so reruns give the same ids.
    """
    for _, line in job_state_lines(jobs, attempts, account=account, region=region):
        yield orjson.loads(line)


SPOT_WARNING = "EC2 Spot Instance Interruption Warning"


def spot_warning_events(
    instances: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield EC2's "EC2 Spot Instance Interruption Warning" for every notice, in time order."""
    for _, event in _spot_warnings(instances, account, region):
        yield event


def _spot_warnings(instances: pd.DataFrame, account: str, region: str):
    """Yield (whole second, event) of every Spot interruption notice, in time order."""
    noticed = instances[
        (instances["lifecycle"] == "spot") & instances["interruptionNoticeAt"].notna()
    ]
    for instance_id, at in sorted(
        zip(noticed["instanceId"], noticed["interruptionNoticeAt"], strict=True),
        key=lambda pair: (pair[1], pair[0]),
    ):
        yield (
            math.floor(at),
            {
                "version": "0",
                "id": _uuid5(f"{instance_id}/spot-warning"),
                "detail-type": SPOT_WARNING,
                "source": "aws.ec2",
                "account": account,
                "time": iso_time(at),
                "region": region,
                "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
                "detail": {"instance-id": instance_id, "instance-action": "terminate"},
            },
        )


BLOCKED = "Batch Job Queue Blocked"


def blocked_events(
    blocked: pd.DataFrame, jobs: pd.DataFrame, *, account: str = ACCOUNT, region: str = REGION
) -> Iterator[dict]:
    """Yield a "Batch Job Queue Blocked" event for every blocked head job, in time order:
    resources are the job and queue ARNs, the detail the job as it stood (RUNNABLE)."""
    for _, event in _blocked(blocked, jobs, account, region):
        yield event


def _blocked(blocked: pd.DataFrame, jobs: pd.DataFrame, account: str, region: str):
    """Yield (whole second, event) of every blocked head job, in time order."""
    if blocked.empty:
        return
    rows = jobs.set_index("jobId")
    for at, job_id, queue, reason in _rows(blocked, ["time", "jobId", "jobQueue", "statusReason"]):
        job = rows.loc[job_id]
        job_arn = _arn(region, account, "job", job_id)
        queue_arn = _arn(region, account, "job-queue", queue)
        yield (
            math.floor(at),
            {
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
            },
        )


def run_event_lines(
    jobs: pd.DataFrame,
    attempts: pd.DataFrame,
    instances: pd.DataFrame,
    blocked: pd.DataFrame | None = None,
) -> Iterator[str]:
    """Yield every event of a run as a line of ``events.jsonl`` (compact JSON, no newline):
    job state changes, blocked queues and Spot warnings merged in time order."""
    warnings = _spot_warnings(instances, ACCOUNT, REGION)
    streams = [job_state_lines(jobs, attempts), ((at, _json(e)) for at, e in warnings)]
    if blocked is not None:
        streams.append((at, _json(e)) for at, e in _blocked(blocked, jobs, ACCOUNT, REGION))
    # NOTE: merged on whole seconds, the resolution of ``time``; ties keep stream order.
    for _, line in heapq.merge(*streams, key=itemgetter(0)):
        yield line


def run_events(
    jobs: pd.DataFrame,
    attempts: pd.DataFrame,
    instances: pd.DataFrame,
    blocked: pd.DataFrame | None = None,
) -> Iterator[dict]:
    """Yield every event of a run, job state changes, blocked queues and Spot warnings merged
    in time order (the events of :func:`run_event_lines`, decoded)."""
    return map(orjson.loads, run_event_lines(jobs, attempts, instances, blocked))
