"""Atomic file writes: a temporary name beside the file, moved into place when complete.

Kept apart from :mod:`batchsim.results.writer` (a run's tables, which need pandas) so that a
sweep, a comparison or a plan writes its files without importing pandas.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from batchsim.results.html import png_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success move it onto ``path``, else delete it.

    ``mode`` is "w" (UTF-8 text, "\\n" line ends on every platform) or "wb".
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    binary = "b" in mode
    try:
        with open(
            temp, mode, encoding=None if binary else "utf-8", newline=None if binary else ""
        ) as stream:
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


def write_png(path: Path, figure: Figure) -> Path:
    """Render ``figure`` to PNG (``html.png_bytes``: Agg, fixed metadata) and write it atomically."""
    data = png_bytes(figure)
    with atomic_open(path, "wb") as stream:
        stream.write(data)
    return path
