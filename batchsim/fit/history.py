"""Read job history: DescribeJobs records and EventBridge "Batch Job State Change" events.

Accepted, in any number of files: ``{"jobs": [JobDetail…]}`` (``aws batch describe-jobs``, and
batchsim's own ``jobs.json``), a list of JobDetails, the PascalCase form Step Functions returns
(``{"Jobs": …}`` or a list), one EventBridge event, a list of events, or JSON Lines of events
(``events.jsonl``), each possibly gzipped (``.gz``). Records of one job from several files are merged: its latest JobDetail gives
the attempts, its events give when it entered each state.

Every problem is reported with its file and position (line and column for JSON syntax, the path
of the value otherwise), all at once, as a :class:`HistoryError` (exit status 2).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from batchsim.errors import HistoryError

EVENT_TYPE = "Batch Job State Change"
STATUS_ORDER = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
_DEFINITION = re.compile(r"^(?:arn:[^/]*:job-definition/)?(?P<name>[^:/]+)(?::\d+)?$")


@dataclass(frozen=True)
class Attempt:
    """One finished attempt: when it ran (epoch ms, None when unknown) and how it ended."""

    started_at: int | None
    stopped_at: int | None
    exit_code: int | None
    status_reason: str


@dataclass
class JobHistory:
    """What the history says about one job: its definition, final status, attempts, and the
    instants (epoch ms) at which events saw it enter each state, in order."""

    job_id: str
    definition: str
    status: str | None
    attempts: list[Attempt] = field(default_factory=list)
    entered: list[tuple[int, str]] = field(default_factory=list)
    is_array_parent: bool = False


def definition_of(reference: str) -> str:
    """Return the job definition's name in an ARN, ``name:revision`` or plain name."""
    match = _DEFINITION.match(reference)
    return match.group("name") if match else reference


def camel(value):
    """Return ``value`` with every mapping key's first letter lower-cased (PascalCase → camelCase)."""
    if isinstance(value, dict):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): camel(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def read_documents(path: Path) -> list[object]:
    """Return the JSON values in ``path``: one document, or one per line (JSON Lines); a name
    ending in ``.gz`` is decompressed first."""
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise HistoryError([f"{path}: {getattr(error, 'strerror', None) or error}"]) from None
    try:
        return [orjson.loads(data)]
    except orjson.JSONDecodeError as whole:
        lines = data.splitlines()
        if len(lines) > 1 and _parses(lines[0]):
            return _json_lines(path, lines)
        raise HistoryError(
            [f"{path}: line {whole.lineno}, column {whole.colno}: {whole.msg}"]
        ) from None


def _parses(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _json_lines(path: Path, lines: list[bytes]) -> list[object]:
    """Parse JSON Lines, reporting every bad line."""
    values, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            values.append(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            problems.append(f"{path}: line {number}, column {error.colno}: {error.msg}")
    if problems:
        raise HistoryError(problems)
    return [values]


def records_of(document: object, where: str) -> list[tuple[str, dict]]:
    """Return (position, record) for every JobDetail or event in one JSON document."""
    if isinstance(document, dict):
        document = camel(document) if "Jobs" in document or "JobId" in document else document
        if "jobs" in document:
            return _items(document["jobs"], f"{where}: jobs")
        return [(where, document)]
    if isinstance(document, list):
        return _items(document, where)
    raise HistoryError(
        [f"{where}: expected an object or a list of jobs or events, got {_kind(document)}"]
    )


def _items(items: object, where: str) -> list[tuple[str, dict]]:
    if not isinstance(items, list):
        raise HistoryError([f"{where}: expected a list, got {_kind(items)}"])
    return [
        (f"{where}[{i}]", camel(item) if _pascal(item) else item) for i, item in enumerate(items)
    ]


def _pascal(item: object) -> bool:
    return isinstance(item, dict) and ("JobId" in item or "Detail" in item)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


class _Reader:
    """Turns records into :class:`JobHistory` objects, collecting problems as it goes."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobHistory] = {}
        self.latest: dict[str, tuple] = {}  # jobId → sort key of the detail its attempts came from
        self.problems: list[str] = []

    def add(self, where: str, record: dict) -> None:
        """Add one JobDetail or event found at ``where``."""
        if not isinstance(record, dict):
            self.problems.append(f"{where}: expected a job or an event, got {_kind(record)}")
        elif "detail" in record or "detail-type" in record:
            self._event(where, record)
        else:
            self._detail(where, record, (1, 0, 0))

    def _event(self, where: str, event: dict) -> None:
        if event.get("detail-type", EVENT_TYPE) != EVENT_TYPE:
            return  # NOTE: Spot warnings and blocked-queue events carry no job history to fit
        at = self._time(f"{where}.time", event.get("time"))
        detail = event.get("detail")
        if not isinstance(detail, dict):
            self.problems.append(f"{where}.detail: expected an object, got {_kind(detail)}")
            return
        status = detail.get("status")
        rank = _RANK.get(status, 0) if isinstance(status, str) else 0
        job = self._detail(f"{where}.detail", detail, (0, at or 0, rank))
        if job is not None and at is not None and isinstance(status, str) and status in _RANK:
            job.entered.append((at, status))

    def _time(self, where: str, text: object) -> int | None:
        try:
            assert isinstance(text, str)
            return round(datetime.fromisoformat(text).timestamp() * 1000)
        except (AssertionError, ValueError):
            self.problems.append(f"{where}: expected an ISO 8601 time, got {text!r}")
            return None

    def _detail(self, where: str, detail: dict, key: tuple) -> JobHistory | None:
        job_id = self._text(detail, "jobId", where)
        definition = self._text(detail, "jobDefinition", where)
        attempts = self._attempts(detail, where)
        if job_id is None or definition is None or attempts is None:
            return None
        job = self.jobs.get(job_id)
        if job is None:
            job = self.jobs[job_id] = JobHistory(job_id, definition_of(definition), None)
        # NOTE: a DescribeJobs record outranks events; among events the latest, then the
        # furthest status, holds the attempts finished so far.
        if key >= self.latest.get(job_id, key):
            self.latest[job_id] = key
            job.status, job.attempts = detail.get("status"), attempts
            job.is_array_parent = "size" in (detail.get("arrayProperties") or {})
        return job

    def _text(self, detail: dict, key: str, where: str) -> str | None:
        value = detail.get(key)
        if isinstance(value, str) and value:
            return value
        self.problems.append(f"{where}.{key}: expected a non-empty string, got {_kind(value)}")
        return None

    def _attempts(self, detail: dict, where: str) -> list[Attempt] | None:
        raw = detail.get("attempts")
        if (
            raw is None
            and detail.get("status") in ("SUCCEEDED", "FAILED")
            and "startedAt" in detail
        ):
            # NOTE: some records (the API reference's example) carry the run only at the top.
            raw = [{"startedAt": detail.get("startedAt"), "stoppedAt": detail.get("stoppedAt"),
                    "container": detail.get("container") or {}}]  # fmt: skip
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problems.append(f"{where}.attempts: expected a list, got {_kind(raw)}")
            return None
        before = len(self.problems)
        attempts = [self._attempt(item, f"{where}.attempts[{i}]") for i, item in enumerate(raw)]
        return None if len(self.problems) > before else attempts  # type: ignore[return-value]

    def _attempt(self, item: object, where: str) -> Attempt | None:
        if not isinstance(item, dict):
            self.problems.append(f"{where}: expected an object, got {_kind(item)}")
            return None
        container = item.get("container") or {}
        values = [self._number(item, "startedAt", where), self._number(item, "stoppedAt", where),
                  self._number(container, "exitCode", f"{where}.container")]  # fmt: skip
        reason = item.get("statusReason")
        return Attempt(values[0], values[1], values[2], reason if isinstance(reason, str) else "")

    def _number(self, record: object, key: str, where: str) -> int | None:
        value = record.get(key) if isinstance(record, dict) else None
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.problems.append(f"{where}.{key}: expected a whole number, got {_kind(value)}")
        return None


def load_history(paths: list[Path]) -> list[JobHistory]:
    """Read every file in ``paths`` and return one :class:`JobHistory` per job, in the order
    jobs first appear; raise :class:`HistoryError` listing every problem found."""
    reader = _Reader()
    for path in paths:
        for document in read_documents(Path(path)):
            try:
                records = records_of(document, str(path))
            except HistoryError as error:
                reader.problems += error.problems
                continue
            for where, record in records:
                reader.add(where, record)
    if reader.problems:
        raise HistoryError(reader.problems)
    for job in reader.jobs.values():
        job.entered.sort(key=lambda pair: (pair[0], _RANK[pair[1]]))
    return list(reader.jobs.values())
