"""FARGATE and FARGATE_SPOT compute environments: one task per job, sized to the job.

A Fargate compute environment has no instances to pack. Each job gets its own task of exactly
its vCPUs and memory; the task is provisioned (the CE's ``bootTime``), pulls the image every
time (nothing is cached between tasks), runs the job and stops with it. ``maxvCpus`` caps the
vCPUs of the tasks alive at once. Tasks are billed per vCPU-hour and GB-hour from the end of
provisioning to their stop, per second with a one-minute minimum. On FARGATE_SPOT a task lives
an exponential time and is then reclaimed after a 2-minute notice; its job fails with
``Your Spot Task was interrupted.`` and the retry strategy decides.

The engine reuses the managed CE's machinery: a task is an :class:`Instance` of a synthetic type
that fits one job, which terminates when its job ends. :class:`FargateProvisioning` is the
compute environment's provisioning strategy and :class:`TaskPool` its ready tasks without a job.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from batchsim.catalog import InstanceType
from batchsim.catalog.fargate import load_fargate_rates, task_cost_usd
from batchsim.engine.compute.allocation import TypeOption
from batchsim.engine.compute.spot import HOST_TERMINATED, lifetime_sampler
from batchsim.scenario.schema import SpotSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from batchsim.engine.compute.allocation import Blocked
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.shapes import Shape

SPOT_TASK_INTERRUPTED = "Your Spot Task was interrupted."
#: Provisioning time of a task when the scenario gives no ``bootTime``: with the default image
#: pull (20 s) and container start (5 s) a job starts about 30 s after placement, as AWS says.
DEFAULT_PROVISIONING_S = 5.0
#: AWS publishes no Fargate Spot interruption rate; the 5–10 % Spot Advisor bucket is assumed.
DEFAULT_SPOT_BUCKET = 1
TASK_STOPPED = "task_stopped"


def task_type(shape: Shape) -> InstanceType:
    """Return the synthetic instance type of a task sized to ``shape``."""
    vcpus = int(shape.vcpus) if float(shape.vcpus).is_integer() else shape.vcpus
    return InstanceType(
        name=f"fargate-{vcpus}vcpu-{int(shape.memory_mib)}mib",
        family="fargate",
        vcpus=vcpus,
        memory_mib=int(shape.memory_mib),
        gpus=0,
        architecture="x86_64",
        on_demand_price_per_hour=0.0,
        spot_savings_pct=None,
        interruption_bucket=None,
    )


class FargateProvisioning:
    """Provisioning of a FARGATE or FARGATE_SPOT compute environment (see the module docstring)."""

    overshoot = False
    one_job_per_host = True
    fills_floor = True
    capped = False

    def __init__(self, env: BatchEnv, spec: CESpec):
        assert spec.computeResources is not None  # NOTE: the loader requires them here
        capacity = spec.computeResources.type
        self.lifecycle = "fargate-spot" if capacity == "FARGATE_SPOT" else "fargate"
        self.rates = load_fargate_rates()[(capacity, "x86_64")]
        self.reclaimable = False
        self.notice_s = 0.0
        self.reclaim_reason = HOST_TERMINATED
        self._lifetime = None
        if capacity == "FARGATE_SPOT":
            spot = spec.simulation.spot or SpotSettings()
            rng = env.stream(f"spot:{spec.computeEnvironmentName}")
            self._lifetime = lifetime_sampler(spot.lifetime_model(), DEFAULT_SPOT_BUCKET, rng)
            self.notice_s = spot.noticeTime
            self.reclaim_reason = SPOT_TASK_INTERRUPTED
            self.reclaimable = True
        self._tasks = 0

    def allocatable_mib(self, itype: InstanceType) -> float:
        """A task offers the job all the memory it asked for."""
        return float(itype.memory_mib)

    def options(self, types: list[InstanceType], shape: Shape, now: float) -> list[TypeOption]:
        """Return the one task size that fits ``shape`` (none for GPU jobs: Fargate has none)."""
        return [] if shape.gpus else [TypeOption(task_type(shape), 1, 0.0)]

    def plan(
        self, options: list[TypeOption], jobs: int, budget_vcpus: float, blocked: Blocked
    ) -> list[InstanceType]:
        """One task per job, as many as fit under maxvCpus."""
        if not options:
            return []
        itype = options[0].itype
        return [itype] * max(0, min(jobs, int(budget_vcpus // itype.vcpus)))

    def launchable(self, itype: InstanceType, now: float) -> bool:
        """Tasks are never priced out."""
        return True

    def change_times(self) -> list[float]:
        """Fargate rates never change during a run."""
        return []

    def price(self, itype: InstanceType, now: float) -> float:
        """Return a task's price per hour."""
        return (
            itype.vcpus * self.rates.usd_per_vcpu_hour
            + itype.memory_mib / 1024 * self.rates.usd_per_gb_hour
        )

    def new_host_id(self) -> str:
        """Return a task id (Fargate tasks are not EC2 instances)."""
        self._tasks += 1
        return f"task-{self._tasks:017x}"

    def lifetime(self, itype: InstanceType) -> float:
        """Return how long a FARGATE_SPOT task lives before a reclaim (inf on FARGATE)."""
        return math.inf if self._lifetime is None else self._lifetime()

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Return a task's bill: vCPU and GB rates from the end of provisioning to its stop."""
        if instance.ready_at is None:
            return 0.0  # stopped while provisioning: nothing was pulled or run
        itype = instance.itype
        return task_cost_usd(
            self.rates, itype.vcpus, itype.memory_mib, stopped_at - instance.ready_at
        )

    def fixed_hosts(self) -> Iterator[InstanceType]:
        """Fargate registers no fixed hosts."""
        return iter(())


class TaskPool:
    """The ready tasks of a Fargate CE that have no job yet, by task size, oldest first."""

    __slots__ = ("_idle", "_sizes")

    def __init__(self) -> None:
        self._idle: dict[str, list[Instance]] = {}
        self._sizes: dict[Shape, str] = {}  # job shape -> name of its task size

    def find(self, shape: Shape) -> Instance | None:
        """Return the oldest idle task started for a job of exactly ``shape``."""
        if shape.gpus:
            return None
        size = self._sizes.get(shape)
        if size is None:
            size = self._sizes[shape] = task_type(shape).name
        idle = self._idle.get(size)
        return idle[0] if idle else None

    def add(self, task: Instance) -> None:
        """``task`` is ready and waits for its job."""
        self._idle.setdefault(task.itype.name, []).append(task)

    def take(self, task: Instance) -> None:
        """``task`` gets its job: it takes no other."""
        self._idle[task.itype.name].remove(task)

    def discard(self, task: Instance) -> None:
        """``task`` stops (with its job, or idle when no job came for it)."""
        idle = self._idle.get(task.itype.name)
        if idle and task in idle:
            idle.remove(task)


def promise_task(instance: Instance, shape: Shape, jobs: int) -> int:
    """Promise a booting task to one job of its own size; return 1 if it was, else 0."""
    itype = instance.itype
    if (
        jobs <= 0
        or instance.reserved_vcpus
        or itype.vcpus != shape.vcpus
        or itype.memory_mib != int(shape.memory_mib)
    ):
        return 0
    instance.reserved_vcpus = itype.vcpus
    return 1
