"""What ``explain`` reads: a run's tables and its resolved scenario, from a :class:`RunResult`
in memory or from a run folder written by ``batchsim run``; finding one job in them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from batchsim.errors import UnknownJobError, UserError
from batchsim.records import ATTEMPT_TABLE, INSTANCE_TABLE, JOB, WAIT, Field
from batchsim.scenario.schema import Scenario

FOLDER_FILES = ("jobs.csv", "attempts.csv", "instances.csv", "waits.csv", "scenario.resolved.yaml")
"""The files of a run folder that ``explain`` reads."""


@dataclass(frozen=True)
class RunTables:
    """The parts of a run a story is told from: the resolved ``scenario`` and the ``jobs``,
    ``attempts``, ``instances`` and ``waits`` tables (as in :class:`batchsim.RunResult`)."""

    scenario: Scenario
    jobs: pd.DataFrame
    attempts: pd.DataFrame
    instances: pd.DataFrame
    waits: pd.DataFrame

    @classmethod
    def of(cls, result) -> RunTables:
        """Return the tables of a :class:`batchsim.RunResult` (or anything with those names)."""
        return cls(result.scenario, result.jobs, result.attempts, result.instances, result.waits)

    @property
    def end_at(self) -> float:
        """The last instant the tables know of (s): a job still RUNNABLE waited until then."""
        times = [self.jobs[c].max() for c in ("createdAt", "stoppedAt")]
        times += [self.instances["terminatedAt"].max(), self.waits["time"].max()]
        known = [float(t) for t in times if pd.notna(t)]
        return max(known) if known else 0.0


def read_folder(folder: str | Path) -> RunTables:
    """Read the run folder ``folder`` (written by ``batchsim run``); raise UserError naming the
    missing files when it is not one (a folder from before waits.csv existed is one of them)."""
    from batchsim.scenario.loader import load_scenario

    path = Path(folder)
    missing = [name for name in FOLDER_FILES if not (path / name).is_file()]
    if missing:
        raise UserError(
            f"{path}: not a run folder of this batchsim version (missing {', '.join(missing)}); "
            "run `batchsim run SCENARIO -o FOLDER` first, or give the scenario file"
        )
    return RunTables(
        scenario=load_scenario(path / "scenario.resolved.yaml"),
        jobs=_read(path / "jobs.csv", JOB.fields),
        attempts=_read(path / "attempts.csv", ATTEMPT_TABLE),
        instances=_read(path / "instances.csv", INSTANCE_TABLE),
        waits=_read(path / "waits.csv", WAIT.fields),
    )


def _read(path: Path, fields: tuple[Field, ...]) -> pd.DataFrame:
    """Read one CSV with its spec's text columns as text (an empty cell is NaN, as written)."""
    text = {f.name: str for f in fields if f.dtype == "str"}
    return pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""])


def find_job(jobs: pd.DataFrame, job: str) -> pd.Series:
    """Return the row of the job whose jobId is ``job``, else the first whose jobName is;
    raise UnknownJobError listing a few close ids and names otherwise."""
    for column in ("jobId", "jobName"):
        rows = jobs.index[jobs[column] == job]
        if len(rows):
            return jobs.loc[rows[0]]
    names = list(dict.fromkeys([*jobs["jobName"].astype(str), *jobs["jobId"].astype(str)]))
    close = difflib.get_close_matches(job, names, n=5, cutoff=0.5) or names[:5]
    raise UnknownJobError(
        f"no job {job!r} in this run (--job takes a jobId or a jobName); close: {', '.join(close)}"
    )
