"""Flat records appended during a run; they become DataFrames once, after it (in results/).

One record type per grain: an attempt, an instance lifetime, a change of a compute environment's
desired capacity. Records are plain tuples for speed; the field names below are their columns.
An attempt names its job by ``jobIndex``, the job's position in the run's job list, so the hot
loop never formats a job id.
"""

from __future__ import annotations

ATTEMPT_FIELDS = (
    "jobIndex", "attempt", "computeEnvironment", "instanceId", "instanceType", "vcpus", "memory",
    "gpus", "runnableAt", "startingAt", "startedAt", "stoppedAt", "outcome", "exitCode",
    "statusReason", "reason", "wastedVcpuHours",
)  # fmt: skip
INSTANCE_FIELDS = (
    "instanceId", "computeEnvironment", "instanceType", "lifecycle", "vcpus", "memory", "gpus",
    "pricePerHour", "launchedAt", "readyAt", "terminatedAt", "endReason", "busyVcpuSeconds",
    "interruptionNoticeAt", "costUsd",
)  # fmt: skip
CAPACITY_FIELDS = ("time", "computeEnvironment", "desiredvCpus", "readyvCpus")


class Outcome:
    """Values of the ``outcome`` column of attempts: how an attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SPOT_INTERRUPTED = "spot_interrupted"
    TERMINATED = "terminated"  # stopped by a TerminateJob action  # the host was reclaimed (EC2 Spot or Fargate Spot)
    UNFINISHED = "unfinished"  # still STARTING or RUNNING when the run stopped (stopAt)


class Recorder:
    """Append-only buffers of the run's records."""

    __slots__ = ("attempts", "instances", "capacity", "jobs", "blocked")

    def __init__(self) -> None:
        self.attempts: list[tuple] = []
        self.instances: list[tuple] = []
        self.capacity: list[tuple] = []
        self.jobs: list = []  # every Job, in creation order; read only after the run
        self.blocked: list[tuple] = []  # blocked head jobs (engine/blocked.py BLOCKED_FIELDS)
