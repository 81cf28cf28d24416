"""The facts of one job a story needs, read from the run's tables and its scenario: cells by
name, its attempts, dependencies, instances, image and retry strategy, each put in words."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from batchsim.explain import causes
from batchsim.explain.source import RunTables
from batchsim.explain.timefmt import clock, span
from batchsim.records import WaitCause
from batchsim.scenario.schema import JobDefinition, RetryStrategy, WorkloadEntry
from batchsim.scenario.trace_jobs import trace_depends_on, trace_failed

W = WaitCause
OUTCOME_WORDS = {
    "succeeded": "the container exited with code 0",
    "failed": "the container exited with code {exit}: \"{reason}\"",
    "timed_out": "it ran past its \"timeout\" (\"attemptDurationSeconds\") and was stopped: \"{reason}\"",
    "spot_interrupted": "Spot reclaimed its instance {instance}{notice}: \"{reason}\"",
    "terminated": "a \"TerminateJob\" call stopped it: \"{reason}\"",
    "host_replaced": "an infrastructure update replaced its instance {instance}: \"{reason}\"",
    "unfinished": "it was still running when the run stopped (\"stopAt\")",
}  # fmt: skip
"""How each attempt ``outcome`` is told."""


@dataclass(frozen=True)
class Dependency:
    """A job this one waited on in PENDING: ``job_id`` (None if never submitted), its ``kind``
    ("dependsOn", "N_TO_N", "SEQUENTIAL"), its ``status`` and when it ended (``ended_at``)."""

    job_id: str | None
    kind: str
    status: str | None
    ended_at: float | None

    def words(self) -> str:
        """Return this dependency in a few words."""
        if self.job_id is None:
            return f"{self.kind} job not submitted"
        if self.ended_at is None:
            return f"{self.job_id} ({self.kind}), not ended"
        return f"{self.job_id} ({self.kind}), {self.status} at {clock(self.ended_at)}"


class JobFacts:
    """One job (a row of ``run.jobs``) and what the run and its scenario say about it."""

    def __init__(self, run: RunTables, row: pd.Series):
        self.run = run
        self.row = row
        self.job_id = str(row["jobId"])
        self.queue = str(row["jobQueue"])
        self.status = str(row["status"])
        self.end_at = run.end_at
        self.is_array_parent = pd.notna(row["arraySize"]) and pd.isna(row["arrayParent"])
        self.is_child = pd.notna(row["arrayParent"])

    # ----------------------------------------------------------------- cells
    def at(self, column: str) -> float | None:
        """Return the job's time ``column`` (s), None when it is empty."""
        return self.cell(self.row, column)

    @staticmethod
    def cell(row: pd.Series, column: str) -> float | None:
        """Return the number in ``column`` of ``row``, None when it is empty."""
        value = row[column]
        return None if pd.isna(value) else float(value)

    def text(self, column: str) -> str | None:
        """Return the job's text ``column``, None when it is empty."""
        value = self.row[column]
        return None if pd.isna(value) or value == "" else str(value)

    def whole(self, column: str) -> int | None:
        """Return the job's whole-number ``column``, None when it is empty."""
        value = self.cell(self.row, column)
        return None if value is None else int(value)

    # ----------------------------------------------------------------- scenario
    @cached_property
    def entry(self) -> WorkloadEntry:
        """The workload entry that submitted the job."""
        return next(e for e in self.run.scenario.workload if e.name == self.row["workload"])

    @cached_property
    def definition(self) -> JobDefinition:
        """The job definition the job was submitted with."""
        name = self.entry.submit.jobDefinition
        return next(d for d in self.run.scenario.jobDefinitions if d.jobDefinitionName == name)

    @cached_property
    def retry(self) -> RetryStrategy:
        """The retryStrategy in force (SubmitJob's wins over the definition's)."""
        return self.entry.submit.retryStrategy or self.definition.retryStrategy or RetryStrategy()

    @cached_property
    def line(self) -> str:
        """The name of the line of its queue the job waited in (waits.csv)."""
        priority = self.entry.submit.schedulingPriorityOverride
        if priority is None:
            priority = self.definition.schedulingPriority or 0
        return causes.job_line(self.row, self.entry.submit.shareIdentifier, priority)

    # ----------------------------------------------------------------- attempts, dependencies
    def attempts(self) -> list[pd.Series]:
        """Return the job's attempt rows, in order."""
        mine = self.run.attempts[self.run.attempts["jobId"] == self.job_id]
        return [row for _, row in mine.sort_values("attempt").iterrows()]

    def waiting_since(self, attempts: list[pd.Series]) -> float | None:
        """Return when the job last became RUNNABLE if no attempt started from there."""
        runnable = self.at("runnableAt")
        if runnable is None or self.is_array_parent:
            return None
        if attempts and runnable <= float(attempts[-1]["startingAt"]):
            return None
        return runnable

    def dependencies(self) -> list[Dependency]:
        """Return the jobs this one waited on in PENDING (``dependsOn``), as the engine pairs
        them: an entry's latest job submitted before this one (a trace job: the job its
        record named), its child of the same index for N_TO_N, the previous child of the
        same array for SEQUENTIAL."""
        found = []
        index = self.whole("arrayIndex")
        traced = self.entry.trace is not None
        for job_id, kind in self._depends_on():
            if kind == "SEQUENTIAL":
                if self.is_child and index:
                    found.append(self._child(str(self.row["arrayParent"]), index - 1, "SEQUENTIAL"))
                continue
            assert job_id is not None  # NOTE: the loader and the trace: only SEQUENTIAL omits it
            target = job_id if traced else self._latest(job_id)
            if kind == "N_TO_N" and self.is_child and target is not None:
                found.append(self._child(target, index, "N_TO_N"))
            else:
                found.append(self._job(target, "dependsOn"))
        return found

    def _depends_on(self) -> list[tuple[str | None, str | None]]:
        """The (jobId, type) pairs of the job's ``dependsOn``: its workload entry's, or for a
        trace job its own record's (jobId: the job the replay submitted for the named one)."""
        if self.entry.trace is None:
            return [(d.jobId, d.type) for d in self.entry.submit.dependsOn]
        submitted = set(self.run.jobs["jobId"])
        return trace_depends_on(self.run.scenario, self.entry, submitted).get(self.trace_number, [])

    @cached_property
    def trace_number(self) -> int:
        """A trace job's number: its position among the trace's jobs + 1 (an array child: its
        array's), the ``N`` of ``<entry>-N``."""
        top = self.row["arrayParent"] if self.is_child else self.row["jobId"]
        return int(str(top).rsplit("-", 1)[1])

    @cached_property
    def trace_failed(self) -> bool:
        """Whether this is a trace job the trace records as failed (replayed as it ended)."""
        if self.entry.trace is None:
            return False
        index = self.whole("arrayIndex") if self.is_child else None
        return trace_failed(self.run.scenario, self.entry, self.trace_number, index)

    def _latest(self, entry: str) -> str | None:
        jobs = self.run.jobs
        mine = jobs[(jobs["workload"] == entry) & jobs["arrayParent"].isna()]
        mine = mine[mine["createdAt"] <= self.row["createdAt"]]
        return None if mine.empty else str(mine["jobId"].iloc[-1])

    def _child(self, parent: str, index: int | None, kind: str) -> Dependency:
        return self._job(f"{parent}:{index}", kind)

    def _job(self, job_id: str | None, kind: str) -> Dependency:
        rows = self.run.jobs[self.run.jobs["jobId"] == job_id]
        if job_id is None or rows.empty:
            return Dependency(job_id, kind, None, None)
        row = rows.iloc[0]
        return Dependency(job_id, kind, str(row["status"]), self.cell(row, "stoppedAt"))

    # ----------------------------------------------------------------- words
    def instance(self, a: pd.Series) -> pd.Series | None:
        """Return the instance row the attempt ``a`` ran on."""
        rows = self.run.instances[self.run.instances["instanceId"] == a["instanceId"]]
        return None if rows.empty else rows.iloc[0]

    def instance_words(self, a: pd.Series) -> str:
        """Return "instance i-… (type, lifecycle) of compute environment X"."""
        host = self.instance(a)
        lifecycle = "" if host is None else f", {host['lifecycle']}"
        return (
            f"instance {a['instanceId']} ({a['instanceType']}{lifecycle}) of compute "
            f'environment "{a["computeEnvironment"]}"'
        )

    def starting_words(self, a: pd.Series) -> str:
        """Return what STARTING was: placement, then the image pull (if any) and the start."""
        sim = self.definition.simulation
        length = float(a["startedAt"] if pd.notna(a["startedAt"]) else a["stoppedAt"])
        length -= float(a["startingAt"])
        image = self.definition.containerProperties.image or "its images"
        if pd.notna(a["startedAt"]) and abs(length - sim.startTime) < 1e-6:
            pull = f'image "{image}" already on the instance (no pull)'
        elif pd.notna(a["startedAt"]) and abs(length - sim.startTime - sim.imagePullTime) < 1e-6:
            pull = f'pulling image "{image}" ({span(sim.imagePullTime)}, first on this instance)'
        else:
            pull = f'image "{image}"'
        return (
            f"placed on {self.instance_words(a)}; {pull}, then the container starts "
            f"({span(sim.startTime)})"
        )

    def wait_words(self, segment: causes.Segment, a: pd.Series | None) -> str:
        """Return a RUNNABLE segment in words, with its recorded detail and, while the CE
        scales out, the instance this attempt got if it was launched during the wait."""
        told = causes.words(segment.cause)
        if segment.detail:
            told += f" [at {clock(segment.recorded_at)}: {segment.detail}]"
        if a is not None and segment.cause in (W.SCALING_OUT.value, W.MAX_VCPUS.value):
            told += self._booted_for(a, segment)
        return told

    def _booted_for(self, a: pd.Series, segment: causes.Segment) -> str:
        host = self.instance(a)
        if host is None or pd.isna(host["readyAt"]):
            return ""
        launched, ready = float(host["launchedAt"]), float(host["readyAt"])
        end = segment.start_at + segment.length_s
        if not segment.start_at <= launched < end:
            return ""
        return (
            f"; instance {host['instanceId']} ({host['instanceType']}) launched at "
            f"{clock(launched)}, booting {span(ready - launched)}, ready at {clock(ready)}"
        )
