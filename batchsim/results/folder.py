"""Output folders that are all-or-nothing: a run is written beside its folder and swapped in.

A run (or a comparison) is written into a fresh hidden sibling, ``.<name>.batchsim-<pid>.new``,
and only when every file is complete does that sibling take the folder's name. A crash, SIGINT
or SIGTERM midway removes the sibling and leaves the folder as it was; a rerun into a folder
never mixes old and new files (no stale ``events.jsonl`` beside a ``--no-events`` run).

batchsim replaces a folder only when it is missing, empty, or holds batchsim's own results:
``summary.json`` and ``scenario.resolved.yaml`` (a run), ``compare.json`` and ``compare.csv``
(a comparison) or ``sweep.yaml`` and ``runs.csv`` (a sweep), and nothing but files named like batchsim's outputs. Anything else is refused
with :class:`~batchsim.errors.OutputFolderError` unless ``replace`` is given.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from batchsim.errors import OutputFolderError

MARKERS = (
    frozenset({"summary.json", "scenario.resolved.yaml"}),
    frozenset({"compare.json", "compare.csv"}),
    frozenset({"sweep.yaml", "runs.csv"}),
    frozenset({"plan.json", "runs.csv"}),
    frozenset({"compare.partial.json", "runs.csv"}),
)
"""Files that together mark a folder as a batchsim run, comparison, sweep or plan (or an
interrupted comparison)."""
OUTPUT_SUFFIXES = frozenset(
    {".csv", ".json", ".jsonl", ".md", ".html", ".yaml", ".png", ".sha256", ".tmp"}
)
"""Suffixes of every file batchsim writes (``.sha256``: a sweep's trace digests; ``.tmp``: a
temporary left by a killed writer)."""
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def is_batchsim_output(folder: Path) -> bool:
    """Whether ``folder`` holds a batchsim run or comparison and nothing else."""
    entries = list(folder.iterdir())
    names = {entry.name for entry in entries}
    plain = all(entry.is_file() and entry.suffix in OUTPUT_SUFFIXES for entry in entries)
    return plain and any(marker <= names for marker in MARKERS)


def check_output_folder(folder: Path, replace: bool = False) -> None:
    """Raise :class:`OutputFolderError` unless a run may be written to ``folder``.

    Checked before a run starts, so a long simulation is never thrown away for want of a
    folder: the path must be a folder (or not exist yet) under a writable parent, and an
    existing folder must be empty or batchsim's own unless ``replace``.
    """
    if "\0" in str(folder):
        raise OutputFolderError(f"the output folder {str(folder)!r} contains a NUL character")
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder} is a file, not a folder; name a folder for the results")
    _check_writable_parent(folder)
    if not folder.is_dir() or not any(folder.iterdir()) or is_batchsim_output(folder):
        return
    if not replace:
        raise OutputFolderError(
            f"{folder} holds files that are not batchsim results ({_sample(folder)}); name "
            "another folder, or pass --replace to delete it and write the results there"
        )
    _check_replaceable(folder)


def _sample(folder: Path) -> str:
    names = sorted(entry.name for entry in folder.iterdir())
    return ", ".join(names[:3]) + (", …" if len(names) > 3 else "")


def _check_writable_parent(folder: Path) -> None:
    """The nearest existing ancestor of ``folder`` must be a folder we may write into."""
    ancestor = Path(os.path.abspath(folder)).parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputFolderError(f"cannot create {folder}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputFolderError(f"cannot write {folder}: no permission to write in {ancestor}")


def _check_replaceable(folder: Path) -> None:
    """Even with --replace, never delete the working folder, one of its parents or home."""
    real = Path(os.path.realpath(folder))
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents or real == Path.home().resolve():
        raise OutputFolderError(
            f"{folder} is the current folder, a parent of it or home; batchsim will not replace it"
        )


@contextmanager
def staged_folder(folder: str | Path, replace: bool = False) -> Iterator[Path]:
    """Yield a fresh sibling of ``folder`` to write into; on success swap it in as ``folder``.

    On any exception (signals included) the sibling is deleted and ``folder`` is untouched.
    Raises :class:`OutputFolderError` as :func:`check_output_folder` does, or when the parent
    cannot be created.
    """
    target = Path(os.path.realpath(folder))
    check_output_folder(target, replace)
    staging = _sibling(target, os.getpid(), "new")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_siblings(target)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as error:  # a read-only file system, a full disk, no permission
        raise OutputFolderError(f"cannot write in {target.parent}: {error.strerror}") from None
    try:
        yield staging
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _sibling(target: Path, pid: int, kind: str) -> Path:
    return target.with_name(f".{target.name}.batchsim-{pid}.{kind}")


def _swap(staging: Path, target: Path) -> None:
    """Move ``target`` aside, ``staging`` onto it, then delete the old folder."""
    old = _sibling(target, os.getpid(), "old")
    shutil.rmtree(old, ignore_errors=True)
    with _signals_held():
        if target.exists():
            os.rename(target, old)
        try:
            os.rename(staging, target)
        except BaseException:
            if old.exists():
                os.rename(old, target)
            raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_stale_siblings(target: Path) -> None:
    """Delete siblings left by a batchsim process that no longer runs (killed by SIGKILL)."""
    for sibling in target.parent.glob(f".{target.name}.batchsim-*"):
        pid_text = sibling.name.rsplit("-", 1)[-1].split(".")[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM for the two renames, so a folder is never left half swapped."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        with suppress(OSError):
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
