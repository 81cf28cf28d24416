"""Write a run's output folder: tables, summary, events, report, resolved scenario and plots.

Every file is written to a temporary name and moved into place with :func:`os.replace`, and the
whole run is written into a fresh sibling folder swapped in at the end
(:mod:`batchsim.results.folder`), so a crash or a signal never leaves a half-filled folder. Nothing
written depends on the wall clock, so the same scenario and seed give byte-identical files
(the PNGs too, on the same matplotlib and fonts).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from batchsim.gc_pause import paused_gc
from batchsim.results.aws_jobs import epoch_ms_of, jobs_json_chunks
from batchsim.results.events import run_event_lines
from batchsim.results.files import atomic_open, write_png, write_text
from batchsim.results.folder import staged_folder
from batchsim.results.forked import Task, run_tasks
from batchsim.results.html_report import max_vcpus, render_html
from batchsim.results.plots import FILENAMES, standard_figures
from batchsim.results.report import render_report
from batchsim.scenario.loader import resolved_yaml

if TYPE_CHECKING:
    from batchsim.results.progress import Progress
    from batchsim.results.run_result import RunResult

TABLES = ("jobs", "attempts", "instances", "timeline", "waits")
"""RunResult tables written as ``<name>.csv``."""


CSV_CHUNK_ROWS = 65536
"""Rows formatted at a time by :func:`write_csv` (bounds its memory on million-row tables)."""
_CSV_SPECIAL = ',"\r\n'  # what makes the csv module quote a cell


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` without its index, byte for byte as ``frame.to_csv(index=False)`` would
    with "\n" line ends (floats in Python's shortest round-trip repr, empty cells empty).

    NOTE: pandas spends most of its time turning floats into text and feeding the csv module
    cell by cell; here each column becomes text in one pass and rows are joined with ",".
    Cells the csv module would quote (a comma, quote or line break) and column types other
    than numbers, booleans and text are left to the csv module and pandas respectively.
    """
    with atomic_open(path) as stream:
        if len(frame.columns) < 2 or not all(_csv_plain(frame[c]) for c in frame.columns):
            frame.to_csv(stream, index=False, lineterminator="\n")
            return path
        csv.writer(stream, lineterminator="\n").writerow(frame.columns)
        for start in range(0, len(frame), CSV_CHUNK_ROWS):
            part = frame.iloc[start : start + CSV_CHUNK_ROWS]
            cells = [_csv_texts(part[column]) for column in part.columns]
            if any(
                _csv_special(texts, part[c]) for texts, c in zip(cells, part.columns, strict=True)
            ):
                csv.writer(stream, lineterminator="\n").writerows(zip(*cells, strict=True))
            else:
                stream.write("\n".join(map(",".join, zip(*cells, strict=True))))
                stream.write("\n")
    return path


def _csv_special(texts: list[str], column: pd.Series) -> bool:
    """Whether a cell of ``texts`` needs quoting (never the case for numbers)."""
    if column.dtype.kind in "fi":
        return False
    joined = "".join(texts)
    # NOTE: four substring searches are ~10x faster than one regex character class here.
    return any(char in joined for char in _CSV_SPECIAL)


def _csv_plain(column: pd.Series) -> bool:
    """Whether :func:`_csv_texts` formats ``column`` as pandas does (float64, integers, bools,
    text); float32 is not: pandas writes its own shortest digits ('0.1'), repr the float64's."""
    if column.dtype.kind == "f":
        return column.dtype == np.float64
    return column.dtype.kind in "iubO" or isinstance(column.dtype, pd.StringDtype)


def _csv_texts(column: pd.Series) -> list[str]:
    """Return ``column``'s cells as CSV text: floats by repr, others by str, empty cells ""."""
    empty = column.isna().to_numpy()
    kind = column.dtype.kind
    if kind == "f":
        texts = _float_texts(column.to_numpy(dtype=np.float64, na_value=np.nan), empty)
    elif kind == "i":
        texts = _json_numbers(column.to_numpy(dtype=np.int64, na_value=0))
    elif isinstance(column.dtype, pd.StringDtype):
        texts = column.tolist()  # NOTE: str already; the empty cells are replaced below
    else:
        values = column.to_numpy(dtype=object).tolist()
        texts = [v if isinstance(v, str) else str(v) for v in values]
    if empty.any():
        for i in np.flatnonzero(empty).tolist():
            texts[i] = ""
    return texts


def _float_texts(values: np.ndarray, empty: np.ndarray) -> list[str]:
    """Return ``repr`` of every float in ``values`` (cells where ``empty`` is set are ignored).

    NOTE: orjson writes the same shortest round-trip digits as ``repr`` and, between 1e-4 and
    1e16 (and for zero), the same notation, four times faster; outside that range ``repr``
    writes '1e-05' and '1e+16' where orjson writes '1e-5' and '1e16', so such columns use repr.
    """
    magnitude = np.abs(values[~empty])
    if ((magnitude == 0) | ((magnitude >= 1e-4) & (magnitude < 1e16))).all():
        return _json_numbers(values)
    return list(map(repr, values.tolist()))


def _json_numbers(values: np.ndarray) -> list[str]:
    """Return the JSON text of every number in ``values`` (NaN as 'null')."""
    if not len(values):
        return []
    text = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
    return text[1:-1].decode().split(",")


EVENTS_CHUNK = 4096
"""Lines joined into one write of ``events.jsonl`` (a few MB)."""


def write_events(path: Path, lines: Iterable[str]) -> Path:
    """Write ``lines`` (compact JSON objects, see ``events.run_event_lines``) as JSON Lines,
    streaming in chunks of ``EVENTS_CHUNK`` lines; return ``path``."""
    lines = iter(lines)
    # NOTE: building the lines allocates a few tuples and lists per event, which would set
    # off hundreds of collections over the run's tables (~17 % of the time at 100k jobs).
    with atomic_open(path, "wb") as stream, paused_gc():
        for chunk in iter(lambda: list(islice(lines, EVENTS_CHUNK)), []):
            chunk.append("")  # NOTE: for the newline after the chunk's last line
            stream.write("\n".join(chunk).encode())
    return path


def write_chunks(path: Path, chunks: Iterable[bytes]) -> Path:
    """Write ``chunks`` of bytes to ``path`` atomically, with the cyclic collector paused (the
    pieces are built from many small dicts and lists); return ``path``."""
    with atomic_open(path, "wb") as stream, paused_gc():
        for chunk in chunks:
            stream.write(chunk)
    return path


def _plain(value):
    """Return ``value`` with NumPy scalars as Python numbers and NaN/inf as None (valid JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_json(summary: dict) -> str:
    """Return ``summary`` as the text of ``summary.json`` (indent 2, key order kept)."""
    return json.dumps(_plain(summary), indent=2, ensure_ascii=False) + "\n"


EVENTS_BY_DEFAULT_MAX = 1_000_000
"""``events.jsonl`` is written by default when a run has at most this many job state changes
(:func:`estimated_events`): about 250,000 jobs without retries, some 600 MB of JSON."""


def estimated_events(result: RunResult) -> int:
    """Return about how many events ``events.jsonl`` would hold: each attempt makes a job
    RUNNABLE, STARTING and RUNNING, and each job ends once (exact for single attempts)."""
    return len(result.jobs) + 3 * len(result.attempts)


def events_by_default(result: RunResult) -> bool:
    """Whether ``events.jsonl`` is written when not asked for or against (a small enough run)."""
    return estimated_events(result) <= EVENTS_BY_DEFAULT_MAX


AWS_JSON_BY_DEFAULT_MAX = 250_000
"""``jobs.json`` is written by default for runs of at most this many jobs. It costs about 12–15 µs
per job (about 1.1 KB of JSON with one attempt), which at a million jobs would take ``batchsim run``
past issue 9's budget of twice ``simulate()``; bigger runs write it on request."""


def aws_json_by_default(result: RunResult) -> bool:
    """Whether ``jobs.json`` is written when not asked for or against (a small enough run)."""
    return len(result.jobs) <= AWS_JSON_BY_DEFAULT_MAX


def write_outputs(
    result: RunResult,
    directory: Path,
    events: bool | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    aws_json: bool | None = None,
    start_time: datetime | None = None,
    findings: Sequence[object] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write every output file of ``result`` into ``directory``, all or nothing.

    The files are written into a fresh sibling folder that replaces ``directory`` once complete
    (:func:`batchsim.results.folder.staged_folder`), so an interrupted write leaves the folder
    as it was and a rerun never mixes old and new files. ``events`` True or False writes or
    skips ``events.jsonl`` (about 2.5 KB per job); None writes it when
    :func:`events_by_default` says the run is small enough. A folder holding anything but
    batchsim results is refused with OutputFolderError unless ``replace``. ``progress``, if
    given, shows which file is being written. ``aws_json`` writes or skips ``jobs.json``
    (DescribeJobs shape, :mod:`batchsim.results.aws_jobs`) the same way, None by
    :func:`aws_json_by_default`; its times count from ``start_time`` (default: the run's epoch,
    2026-01-01 UTC). ``findings``, if given, become report.html's findings section (see
    ``html_report.render_html``). Returns the paths written, ``summary.json`` last; raises
    OSError if a file cannot be written.
    """
    with_events = events_by_default(result) if events is None else events
    with_aws = aws_json_by_default(result) if aws_json is None else aws_json
    start_ms = epoch_ms_of(start_time) if with_aws else None
    with staged_folder(directory, replace) as staging:
        files = _write_files(result, staging, with_events, progress, start_ms, findings, workers)
        names = [path.name for path in files]
    return [Path(directory) / name for name in names]


def _write_files(
    result: RunResult,
    directory: Path,
    events: bool,
    progress: Progress | None,
    start_ms: int | None = None,
    findings: Sequence[object] | None = None,
    workers: int | None = None,
) -> list[Path]:
    tasks, written = _file_tasks(result, directory, events, start_ms, findings)
    if progress is not None:
        progress.phase(f"writing {len(written) + 1} files")  # NOTE: summary.json is the +1
    run_tasks(tasks, workers)
    written.append(write_text(directory / "summary.json", summary_json(result.summary)))
    return written


def _file_tasks(
    result: RunResult,
    directory: Path,
    events: bool,
    start_ms: int | None,
    findings: Sequence[object] | None,
) -> tuple[list[Task], list[Path]]:
    """The files of a run but ``summary.json`` (written last, once the others are), as tasks
    that :func:`batchsim.results.forked.run_tasks` may run side by side, and their paths.

    A task's cost is its cells (rows × columns) or a guess in the same unit, about 0.1 µs of
    writing: ``jobs.json`` ~12 µs a job, ``events.jsonl`` ~4 events of ~4 µs an attempt, the
    plots and reports ~0.5 s plus their tables' rows.
    """
    tasks = [_csv_task(directory, name, getattr(result, name)) for name in TABLES]
    if start_ms is not None:
        chunks = partial(jobs_json_chunks, result.jobs, result.attempts, result.scenario, start_ms)
        tasks.append(
            _generated(directory / "jobs.json", write_chunks, chunks, 120 * len(result.jobs))
        )
    if result.scenario.consumableResources:
        tasks.append(_csv_task(directory, "consumables", result.consumables))
    if events:
        lines = partial(
            run_event_lines, result.jobs, result.attempts, result.instances, result.blocked
        )
        tasks.append(
            _generated(directory / "events.jsonl", write_events, lines, 160 * len(result.attempts))
        )
    written = [directory / task.name for task in tasks] + [directory / n for n in REPORT_FILES]
    reports = partial(_write_reports, result, directory, findings)
    reports_cost = 5e6 + 5 * (len(result.timeline) + len(result.attempts))
    tasks.append(Task("report.html", reports, reports_cost))
    return tasks, written


def _csv_task(directory: Path, name: str, frame: pd.DataFrame) -> Task:
    """The task writing ``frame`` as ``<name>.csv``, costed by its cells."""
    path = directory / f"{name}.csv"
    return Task(path.name, partial(write_csv, path, frame), frame.size)


def _generated(
    path: Path, write: Callable[[Path, Any], Path], make: Callable[[], Any], cost: float
) -> Task:
    """The task ``write(path, make())``: the content is generated in the process writing it."""
    return Task(path.name, lambda: write(path, make()), cost)


REPORT_FILES = ("scenario.resolved.yaml", *FILENAMES.values(), "report.md", "report.html")
"""The files :func:`_write_reports` writes, in order."""


def _write_reports(result: RunResult, directory: Path, findings: Sequence[object] | None) -> None:
    """Write the resolved scenario, the standard plots and the two reports (which embed them)."""
    write_text(directory / "scenario.resolved.yaml", resolved_yaml(result.scenario))
    figures = standard_figures(result.timeline, result.attempts, max_vcpus(result))
    images = {name: write_png(directory / name, f).read_bytes() for name, f in figures.items()}
    write_text(directory / "report.md", render_report(result))
    write_text(directory / "report.html", render_html(result, images, findings))
