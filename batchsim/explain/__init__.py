"""``batchsim explain``: one job's story in plain words and AWS's terms — each state with its
start, length and cause, told from what the run recorded (never guessed).

    import batchsim
    result = batchsim.simulate("scenarios/quickstart.yaml")
    story = result.explain("quickstart-1:17")     # or batchsim.explain(result, "…")
    print(batchsim.explain_text(story))
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from batchsim.explain.model import Step, Story
from batchsim.explain.render import hints_text, story_json, story_text
from batchsim.explain.source import RunTables, UnknownJobError, find_job, read_folder
from batchsim.explain.story import tell

__all__ = [
    "RunTables",
    "Step",
    "Story",
    "UnknownJobError",
    "explain",
    "hints_text",
    "longest_waits",
    "read_folder",
    "story_json",
    "story_text",
]


def explain(run, job: str) -> Story:
    """Return the story of ``job`` (a jobId, or the first job with that jobName) in ``run``: a
    :class:`batchsim.RunResult`, a run folder written by ``batchsim run`` (a path), or
    :class:`RunTables`. Raises UnknownJobError (listing close names) for a job not in the run,
    and UserError for a folder that is not a run folder."""
    tables = _tables(run)
    return tell(tables, find_job(tables.jobs, job))


def longest_waits(run, count: int = 10) -> pd.DataFrame:
    """Return the ``count`` jobs of ``run`` (as for :func:`explain`) that spent the longest in
    RUNNABLE, all attempts together (a job still RUNNABLE counts until the run's end):
    columns jobId, jobName, status, waitSeconds, longest first (ties by jobId)."""
    tables = _tables(run)
    jobs, attempts = tables.jobs, tables.attempts
    waited = attempts.groupby("jobId")["queueWaitSeconds"].sum()
    plain = jobs[~(jobs["arraySize"].notna() & jobs["arrayParent"].isna())].set_index("jobId")
    total = waited.reindex(plain.index, fill_value=0.0)
    last_start = attempts.groupby("jobId")["startingAt"].max().reindex(plain.index)
    still = plain["runnableAt"].notna() & ~(plain["runnableAt"] <= last_start)
    until = plain["stoppedAt"].fillna(tables.end_at)
    total = total + (until - plain["runnableAt"]).where(still, 0.0)
    table = pd.DataFrame(
        {"jobName": plain["jobName"], "status": plain["status"], "waitSeconds": total}
    )
    table = table[table["waitSeconds"] > 0].reset_index()
    return table.sort_values(["waitSeconds", "jobId"], ascending=[False, True]).head(count)


def _tables(run) -> RunTables:
    if isinstance(run, RunTables):
        return run
    if isinstance(run, str | Path):
        return read_folder(run)
    return RunTables.of(run)
