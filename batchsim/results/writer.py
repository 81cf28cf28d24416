"""Write a run's output folder: tables, summary, events, report, resolved scenario and plots.

Every file is written to a temporary name in the same folder and moved into place with
:func:`os.replace`, so a crash never leaves a half-written file under its final name.
``summary.json`` is written last: when it exists, the rest of the folder is complete. Nothing
written depends on the wall clock, so the same scenario and seed give byte-identical files
(the PNGs too, on the same matplotlib and fonts).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pandas as pd

from batchsim.results.events import run_event_lines
from batchsim.results.plots import standard_figures
from batchsim.results.report import render_report
from batchsim.scenario.loader import resolved_yaml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from batchsim.results.run_result import RunResult

TABLES = ("jobs", "attempts", "instances", "timeline")
"""RunResult tables written as ``<name>.csv``."""
PNG_DPI = 110
# Drop the "Software: matplotlib version …" chunk so the bytes do not depend on the install.
PNG_METADATA = {"Software": None}


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success move it onto ``path``, else delete it.

    ``mode`` is "w" (UTF-8 text, "\\n" line ends on every platform) or "wb".
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
    try:
        with open(temp, mode, **text) as stream:
            yield stream
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; return ``path``."""
    with atomic_open(path) as stream:
        stream.write(text)
    return path


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` without its index; floats use Python's shortest round-trip repr."""
    with atomic_open(path) as stream:
        frame.to_csv(stream, index=False, lineterminator="\n")
    return path


EVENTS_CHUNK = 4096
"""Lines joined into one write of ``events.jsonl`` (a few MB)."""


def write_events(path: Path, lines: Iterable[str]) -> Path:
    """Write ``lines`` (compact JSON objects, see ``events.run_event_lines``) as JSON Lines,
    streaming in chunks of ``EVENTS_CHUNK`` lines; return ``path``."""
    lines = iter(lines)
    with atomic_open(path, "wb") as stream:
        for chunk in iter(lambda: list(islice(lines, EVENTS_CHUNK)), []):
            chunk.append("")  # NOTE: for the newline after the chunk's last line
            stream.write("\n".join(chunk).encode())
    return path


def write_png(path: Path, figure: Figure) -> Path:
    """Render ``figure`` to PNG (Agg, ``PNG_DPI``, no version metadata) and write it atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata=PNG_METADATA)
    with atomic_open(path, "wb") as stream:
        stream.write(buffer.getvalue())
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


def write_outputs(result: RunResult, directory: Path, events: bool = True) -> list[Path]:
    """Write every output file of ``result`` into ``directory`` (created if needed).

    ``events=False`` skips ``events.jsonl``, which grows to hundreds of MB at 100k+ jobs.
    Returns the paths written, ``summary.json`` last. Raises OSError if the folder cannot be
    written; files already moved into place are complete.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = [write_csv(directory / f"{name}.csv", getattr(result, name)) for name in TABLES]
    if events:
        stream = run_event_lines(result.jobs, result.attempts, result.instances, result.blocked)
        written.append(write_events(directory / "events.jsonl", stream))
    written.append(write_text(directory / "scenario.resolved.yaml", resolved_yaml(result.scenario)))
    for filename, figure in standard_figures(result.timeline, result.attempts).items():
        written.append(write_png(directory / filename, figure))
    written.append(write_text(directory / "report.md", render_report(result)))
    written.append(write_text(directory / "summary.json", summary_json(result.summary)))
    return written
