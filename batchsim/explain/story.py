"""One job's story: every state it went through, with its start (simulated seconds), its
length and its cause, told from the run's records (:class:`RunTables`) and its scenario."""

from __future__ import annotations

import pandas as pd

from batchsim.explain import causes, endings, facts
from batchsim.explain.model import Step, Story
from batchsim.explain.source import RunTables


def tell(run: RunTables, job: pd.Series) -> Story:
    """Return the story of ``job`` (a row of ``run.jobs``)."""
    known = facts.JobFacts(run, job)
    attempts = known.attempts()
    steps = [_submitted(known, attempts)]
    if known.at("pendingAt") is not None:
        steps.append(_pending(known, attempts))
    for number, attempt in enumerate(attempts, start=1):
        steps += _attempt(known, attempt, number, len(attempts))
    steps += _after_attempts(known, attempts)
    return Story(
        job_id=known.job_id, job_name=str(job["jobName"]), workload=str(job["workload"]),
        queue=known.queue, status=str(job["status"]), status_reason=known.text("statusReason"),
        exit_code=known.whole("exitCode"), attempts=len(attempts), steps=steps,
    )  # fmt: skip


def _submitted(known: facts.JobFacts, attempts: list[pd.Series]) -> Step:
    created = known.at("createdAt")
    assert created is not None  # NOTE: every job has been created
    nxt = _first(
        known.at("pendingAt"), _first_runnable(known, attempts), known.at("stoppedAt"), created
    )
    return Step("SUBMITTED", created, nxt - created, "submit_job",
                f"created by a \"SubmitJob\" call to job queue \"{known.queue}\"")  # fmt: skip


def _pending(known: facts.JobFacts, attempts: list[pd.Series]) -> Step:
    start = known.at("pendingAt")
    assert start is not None  # NOTE: only called for jobs that were PENDING
    end = _first(_first_runnable(known, attempts), known.at("stoppedAt"), known.end_at)
    if known.is_array_parent:
        return Step("PENDING", start, end - start, "array_parent",
                    f"array parent of {known.whole('arraySize')} children: it stays PENDING "
                    "while they run, and ends once they all have")  # fmt: skip
    deps = known.dependencies()
    if not deps:
        return Step("PENDING", start, end - start, "array_child" if known.is_child else "none",
                    "array child, released as soon as its array was submitted"
                    if known.is_child else "no \"dependsOn\": released at once")  # fmt: skip
    told = "; ".join(dep.words() for dep in deps)
    return Step("PENDING", start, end - start, "depends_on", f'waits on "dependsOn": {told}')


def _attempt(known: facts.JobFacts, a: pd.Series, number: int, count: int) -> list[Step]:
    steps = _runnable(known, float(a["runnableAt"]), float(a["startingAt"]), number, a)
    starting, started, stopped = (
        known.cell(a, c) for c in ("startingAt", "startedAt", "stoppedAt")
    )
    assert starting is not None and stopped is not None  # NOTE: every attempt started
    steps.append(Step("STARTING", starting, (started or stopped) - starting, "starting",
                      known.starting_words(a), number))  # fmt: skip
    if started is not None:
        steps.append(Step("RUNNING", started, stopped - started, "running",
                          f"on {known.instance_words(a)}", number))  # fmt: skip
    steps += endings.attempt_end(known, a, number, count)
    return steps


def _runnable(
    known: facts.JobFacts, start: float, end: float, number: int | None, a: pd.Series | None
) -> list[Step]:
    found = causes.segments(known.run.waits, known.queue, known.line, start, end)
    return [
        Step("RUNNABLE", s.start_at, s.length_s, s.cause, known.wait_words(s, a), number)
        for s in found
    ] or [Step("RUNNABLE", start, 0.0, "placed", "placed at once: room was free", number)]


def _after_attempts(known: facts.JobFacts, attempts: list[pd.Series]) -> list[Step]:
    """The end of the story: a wait no attempt ended (canceled or still RUNNABLE), then the
    final state."""
    steps: list[Step] = []
    status, stopped = known.status, known.at("stoppedAt")
    waiting_since = known.waiting_since(attempts)
    if waiting_since is not None:
        until = stopped if stopped is not None else known.end_at
        number = len(attempts) + 1 if attempts else None
        steps += _runnable(known, waiting_since, until, number, None)
    if status in ("SUCCEEDED", "FAILED"):
        steps.append(endings.final_step(known))
    else:
        steps.append(Step(status, known.end_at, None, "run_ended",
                          f"still {status} when the run ended"))  # fmt: skip
    return steps


def _first(*times: float | None) -> float:
    """Return the first time given (not None); the last one always is."""
    return next(t for t in times if t is not None)


def _first_runnable(known: facts.JobFacts, attempts: list[pd.Series]) -> float | None:
    """When the job first became RUNNABLE (jobs.csv keeps the latest time, attempts each)."""
    return float(attempts[0]["runnableAt"]) if attempts else known.at("runnableAt")
