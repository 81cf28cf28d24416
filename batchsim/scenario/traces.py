"""Job traces read as columns: SWF, CSV and DescribeJobs JSON (``trace:`` workload entries).

Each reader returns a :class:`TraceTable`: one numpy array per field, one row per job, in file
order, with the source line of every row for messages. A trace is never held as a Python object
per line: SWF and CSV go through pandas' C parser, DescribeJobs JSON through one list of dicts
turned into arrays at once. Gzipped files (by their magic bytes) are read directly. Bad content
raises :class:`TraceError` naming the file and line. What a table's rows become (window, skips,
vCPUs, memory, scaling) is :mod:`batchsim.scenario.trace_jobs`.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from batchsim.errors import TraceError

if TYPE_CHECKING:
    import pandas as pd

    from batchsim.scenario.trace_links import TraceLinks

SWF_FIELDS = (
    "job", "submit", "wait", "run_time", "allocated_processors", "cpu_time", "used_memory",
    "requested_processors", "requested_time", "requested_memory", "status", "user", "group",
    "executable", "queue", "partition", "preceding_job", "think_time",
)  # fmt: skip
"""The 18 fields of a Standard Workload Format line, in order (``-1``: unknown)."""
CSV_REQUIRED = ("submit_time", "run_time")
CSV_OPTIONAL = (
    "processors", "requested_processors", "used_memory", "requested_memory", "status",
    "exit_code", "user", "group", "queue", "partition",
)  # fmt: skip
"""The CSV columns batchsim reads (others are ignored); see docs/traces.md."""
GROUP_FIELDS = ("queue", "partition", "user", "group")
SUCCEEDED, FAILED, CANCELLED = 1, 0, 5  # SWF status codes


@dataclass(frozen=True, eq=False)
class TraceTable:
    """A trace as columns, one row per job in file order.

    Times are seconds on the trace's own clock (SWF/CSV submit times; DescribeJobs epoch
    seconds); ``run_time`` is NaN when the trace has none; processors and memory (MiB, per
    processor when ``memory_per_processor``) are NaN when unknown; ``status`` uses SWF codes
    (1 completed, 0 failed, 5 cancelled); ``groups`` holds the queue/partition/user/group of
    each row (SWF: numbers; CSV, DescribeJobs: strings; absent fields are left out).
    """

    submit: np.ndarray
    run_time: np.ndarray
    allocated: np.ndarray
    requested: np.ndarray
    used_memory: np.ndarray
    requested_memory: np.ndarray
    status: np.ndarray
    exit_code: np.ndarray
    lines: np.ndarray
    memory_per_processor: bool
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    array_parents: int = 0
    origin: float = 0.0  # where the clock of a time window starts (DescribeJobs: the first job)
    links: TraceLinks | None = None  # DescribeJobs: arrays and dependencies (None: neither)
    record_counts: dict[str, int] | None = None  # DescribeJobs: records read, duplicates dropped

    def __len__(self) -> int:
        return len(self.submit)


def read_trace(path: Path, format: str) -> TraceTable:
    """Read the trace at ``path`` in ``format`` (``swf``, ``csv`` or ``aws-jobs``).

    Cached by (path, size, mtime), so the loader's check and the run read a file once.
    Raises :class:`TraceError` for a missing file or bad content.
    """
    try:
        stat = os.stat(path)
    except OSError as error:
        raise TraceError(path, None, error.strerror or "cannot be read") from None
    return _read_cached(path, format, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, format: str, _size: int, _mtime: int) -> TraceTable:
    text = _text(path)
    return READERS[format](path, text)


def _text(path: Path) -> str:
    """The file's text, gunzipped when it starts with gzip's magic bytes."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError) as error:
        raise TraceError(path, None, f"cannot be read ({error})") from None
    except UnicodeDecodeError:
        raise TraceError(path, None, "is not UTF-8 text") from None


# ----------------------------------------------------------------------------- SWF
def _swf_header(text: str) -> tuple[dict[str, str], int]:
    """Return the ``; Key: value`` header comments and the number of lines before the first
    data line. A repeated key's values, and a comment line that continues the one before it
    (``;              http://…`` under ``; Information: http://…``), are joined by newlines;
    an empty or ruled (``;-----``) comment line ends a value."""
    metadata: dict[str, str] = {}
    count = 0
    last: str | None = None
    for line in io.StringIO(text):
        stripped = line.strip()
        if stripped and not stripped.startswith(";"):
            break
        count += 1
        comment = stripped.lstrip(";").strip()
        key, colon, value = comment.partition(":")
        if colon and key.isidentifier() and value[:1] in ("", " ", "\t"):
            last = key
            value = value.strip()
        elif last is None or not any(c.isalnum() for c in comment):
            last = None  # NOTE: an empty or ruled (";-----") comment line ends a value
            continue
        else:
            value = comment
        metadata[last] = f"{metadata[last]}\n{value}" if last in metadata else value
    return metadata, count


def read_swf(path: Path, text: str) -> TraceTable:
    """Read a Standard Workload Format log (18 whitespace-separated fields per line)."""
    import pandas as pd  # NOTE: not at the top: trace_jobs.trace_sums (compare, sweeps) needs none

    metadata, _ = _swf_header(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=r"\s+", comment=";", header=None, dtype=np.float64,
            names=list(SWF_FIELDS), engine="c", skip_blank_lines=True,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        frame = None
    if frame is None or frame.isna().any(axis=None):
        raise _swf_problem(path, text)
    lines = _data_line_numbers(text)
    values = {name: frame[name].to_numpy(np.float64) for name in SWF_FIELDS}
    return TraceTable(
        submit=values["submit"],
        run_time=np.where(values["run_time"] < 0, np.nan, values["run_time"]),
        allocated=_known(values["allocated_processors"]),
        requested=_known(values["requested_processors"]),
        used_memory=_known(values["used_memory"]) / 1024.0,  # SWF: KB per processor
        requested_memory=_known(values["requested_memory"]) / 1024.0,
        status=values["status"].astype(np.int64),
        exit_code=np.where(values["status"] == FAILED, 1, 0).astype(np.int64),
        lines=lines,
        memory_per_processor=True,
        groups={name: values[name].astype(np.int64) for name in GROUP_FIELDS},
        metadata=metadata,
    )


def _known(values: np.ndarray) -> np.ndarray:
    """SWF's ``-1`` (and any negative value) as NaN."""
    return np.where(values < 0, np.nan, values)


def _data_line_numbers(text: str) -> np.ndarray:
    """The 1-based numbers of the lines that hold data (not blank, not a ``;`` comment), found
    with arrays of one number per line, not a Python object per line."""
    raw = np.append(np.frombuffer(text.encode("utf-8"), dtype=np.uint8), np.uint8(10))
    first = np.concatenate(([0], np.flatnonzero(raw[:-1] == 10) + 1))
    # NOTE: step every line start past its indentation, one column at a time (SWF indents by a
    # few spaces); the newline appended above stops the last line.
    moving = np.arange(len(first))
    while len(moving):
        at = raw[first[moving]]
        moving = moving[(at == 32) | (at == 9) | (at == 13)]
        first[moving] += 1
    lead = raw[first]
    return np.flatnonzero((lead != 10) & (lead != ord(";"))) + 1


def _swf_problem(path: Path, text: str) -> TraceError:
    """Find the first bad SWF data line (the slow scan runs only once the fast read failed)."""
    for number, line in enumerate(io.StringIO(text), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(";"):
            continue
        if len(fields) != len(SWF_FIELDS):
            return TraceError(path, number, f"an SWF line has 18 fields, got {len(fields)}")
        for index, value in enumerate(fields):
            try:
                float(value)
            except ValueError:
                name = SWF_FIELDS[index]
                return TraceError(
                    path, number, f"field {index + 1} ({name}) is not a number: {value!r}"
                )
    return TraceError(path, None, "is not an SWF log")


# ----------------------------------------------------------------------------- CSV
def read_csv(path: Path, text: str) -> TraceTable:
    """Read a CSV trace with a header row naming :data:`CSV_REQUIRED` and any of
    :data:`CSV_OPTIONAL` (seconds, MiB per job; ``status`` SUCCEEDED/FAILED/CANCELLED)."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, engine="c")
    except (ValueError, pd.errors.ParserError) as error:
        raise TraceError(path, None, f"is not CSV: {error}") from None
    missing = [name for name in CSV_REQUIRED if name not in frame.columns]
    if missing:
        raise TraceError(path, 1, f"missing column(s) {', '.join(missing)}; see docs/traces.md")
    lines = np.arange(len(frame), dtype=np.int64) + 2
    number = functools.partial(_csv_numbers, path, frame, lines)
    sized = "processors" in frame or "requested_processors" in frame
    exit_code = number("exit_code")
    status, failed_exit = _csv_status(path, frame, lines)
    return TraceTable(
        submit=number("submit_time", required=True),
        run_time=_known(number("run_time")),  # empty: no run time
        allocated=_known(number("processors")) if sized else np.ones(len(frame)),
        requested=_known(number("requested_processors")),
        used_memory=_known(number("used_memory")),
        requested_memory=_known(number("requested_memory")),
        status=status,
        exit_code=np.where(np.isnan(exit_code), failed_exit, exit_code).astype(np.int64),
        lines=lines,
        memory_per_processor=False,
        groups={name: frame[name].to_numpy(str) for name in GROUP_FIELDS if name in frame},
    )


def _csv_numbers(
    path: Path, frame: pd.DataFrame, lines: np.ndarray, name: str, required: bool = False
) -> np.ndarray:
    """Column ``name`` as floats (NaN where empty or absent); a non-number names its line."""
    import pandas as pd

    if name not in frame:
        return np.full(len(frame), np.nan)
    column = frame[name].str.strip()
    values = pd.to_numeric(column.where(column != ""), errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values) & (column != "").to_numpy() | (np.isnan(values) & required)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        message = f"{name} must be a number, got {column.iloc[row]!r}"
        raise TraceError(path, int(lines[row]), message)
    return values


_CSV_STATUS = {"": SUCCEEDED, "SUCCEEDED": SUCCEEDED, "COMPLETED": SUCCEEDED, "1": SUCCEEDED,
               "FAILED": FAILED, "0": FAILED, "CANCELLED": CANCELLED, "5": CANCELLED}  # fmt: skip


def _csv_status(
    path: Path, frame: pd.DataFrame, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The SWF status code of every row and the exit code a failed row gets by default (1)."""
    if "status" not in frame:
        return np.full(len(frame), SUCCEEDED, np.int64), np.zeros(len(frame), np.int64)
    words = frame["status"].str.strip().str.upper()
    codes = words.map(_CSV_STATUS)
    if codes.isna().any():
        row = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise TraceError(
            path,
            int(lines[row]),
            f"status must be SUCCEEDED, FAILED or CANCELLED, got {frame['status'].iloc[row]!r}",
        )
    status = codes.to_numpy(np.int64)
    return status, np.where(status == FAILED, 1, 0).astype(np.int64)


def _read_aws_jobs(path: Path, text: str) -> TraceTable:
    from batchsim.scenario.aws_jobs import read_aws_jobs  # NOTE: it builds on this module

    return read_aws_jobs(path, text)


READERS = {"swf": read_swf, "csv": read_csv, "aws-jobs": _read_aws_jobs}
