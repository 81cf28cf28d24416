"""Write a run's output folder: tables, summary, events, report, resolved scenario and plots.

Every file is written to a temporary name and moved into place with :func:`os.replace`, and the
whole run is written into a fresh sibling folder swapped in at the end
(:mod:`batchsim.results.folder`), so a crash or a signal never leaves a half-filled folder. Nothing
written depends on the wall clock, so the same scenario and seed give byte-identical files
(the PNGs too, on the same matplotlib and fonts).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pandas as pd

from batchsim.results.events import run_events
from batchsim.results.folder import staged_folder
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


def write_events(path: Path, events) -> Path:
    """Write ``events`` as JSON Lines (one compact object per line), streaming; return ``path``."""
    with atomic_open(path) as stream:
        for event in events:
            stream.write(json.dumps(event, separators=(",", ":")))
            stream.write("\n")
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


def write_outputs(
    result: RunResult, directory: Path, events: bool = True, replace: bool = False
) -> list[Path]:
    """Write every output file of ``result`` into ``directory``, all or nothing.

    The files are written into a fresh sibling folder that replaces ``directory`` once complete
    (:func:`batchsim.results.folder.staged_folder`), so an interrupted write leaves the folder
    as it was and a rerun never mixes old and new files. ``events=False`` skips
    ``events.jsonl``, which grows to hundreds of MB at 100k+ jobs. A folder holding anything but
    batchsim results is refused with OutputFolderError unless ``replace``. Returns the paths
    written, ``summary.json`` last; raises OSError if a file cannot be written.
    """
    with staged_folder(directory, replace) as staging:
        names = [path.name for path in _write_files(result, staging, events)]
    return [Path(directory) / name for name in names]


def _write_files(result: RunResult, directory: Path, events: bool) -> list[Path]:
    written = [write_csv(directory / f"{name}.csv", getattr(result, name)) for name in TABLES]
    if events:
        stream = run_events(result.jobs, result.attempts, result.instances, result.blocked)
        written.append(write_events(directory / "events.jsonl", stream))
    written.append(write_text(directory / "scenario.resolved.yaml", resolved_yaml(result.scenario)))
    for filename, figure in standard_figures(result.timeline, result.attempts).items():
        written.append(write_png(directory / filename, figure))
    written.append(write_text(directory / "report.md", render_report(result)))
    written.append(write_text(directory / "summary.json", summary_json(result.summary)))
    return written
