"""EC2 instances of a compute environment: boot, packing of jobs, image cache, billing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.engine.spec import Shape
from batchsim.records import InstanceState

# NOTE: module names for enum members: cheaper than ``InstanceState.X`` per use (attempts.py)
BOOTING = InstanceState.BOOTING


if TYPE_CHECKING:
    from batchsim.catalog import InstanceType
    from batchsim.engine.calendar import Timer
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.job import Job

BILLING_MINIMUM_S = 60.0


class Instance:
    """One EC2 instance: its free resources, the images it has pulled and its bill.

    ``allocatable_mib`` is what ECS registers (nominal × factor − reserved), so a job asking for
    the nominal memory does not fit, as on AWS.
    """

    __slots__ = (
        "instance_id", "itype", "ce", "lifecycle", "price_per_hour", "state", "launched_at",
        "ready_at", "terminated_at", "end_reason", "free_vcpus", "free_mib", "free_gpus",
        "allocatable_mib", "jobs", "images", "idle_token", "busy_vcpu_s", "reserved_vcpus",
        "reserved_mib", "reserved_gpus", "running", "notice_at", "idle_timer", "refill",
        "idle_since",
    )  # fmt: skip

    def __init__(
        self, instance_id: str, itype: InstanceType, ce: ComputeEnvironment, allocatable_mib: float, now: float,
        lifecycle: str = "on-demand", price_per_hour: float | None = None,
        reclaimable: bool = False,
    ):  # fmt: skip
        self.instance_id = instance_id
        self.itype = itype
        self.ce = ce
        self.lifecycle = lifecycle
        self.price_per_hour = (
            itype.on_demand_price_per_hour if price_per_hour is None else price_per_hour
        )
        self.state = BOOTING
        self.launched_at = now
        self.ready_at: float | None = None
        self.terminated_at: float | None = None
        self.end_reason: str | None = None
        self.allocatable_mib = allocatable_mib
        self.free_vcpus: float = itype.vcpus  # NOTE: a Fargate task's jobs hold fractions
        self.free_mib = allocatable_mib
        self.free_gpus = itype.gpus
        self.jobs = 0
        self.images: dict[str, float] = {}  # image -> time its pull completes
        self.idle_token = 0
        self.busy_vcpu_s = 0.0
        # Room promised to RUNNABLE jobs while this instance boots (scale-out bookkeeping).
        self.reserved_vcpus = 0.0
        self.reserved_mib = 0.0
        self.reserved_gpus = 0
        # Jobs STARTING or RUNNING here, kept only where a reclaim may end them all.
        self.running: set[Job] | None = set() if reclaimable else None
        self.notice_at: float | None = None  # when a Spot interruption notice arrived
        self.idle_timer: Timer | None = (
            None  # the latest pending idle timer (cancelled if the instance goes)
        )
        self.idle_since = 0.0  # when it last became empty (ready, or its last job left)
        self.refill = False  # launched to refill the minvCpus floor after a reclaim

    def fits(self, shape: Shape) -> bool:
        """Return whether a job of ``shape`` fits in the free room now."""
        return (
            shape.vcpus <= self.free_vcpus
            and shape.memory_mib <= self.free_mib
            and shape.gpus <= self.free_gpus
        )

    def allocate(self, shape: Shape) -> None:
        """Reserve ``shape`` for a job placed here."""
        self.free_vcpus -= shape.vcpus
        self.free_mib -= shape.memory_mib
        self.free_gpus -= shape.gpus
        self.jobs += 1
        self.idle_token += 1

    def release(self, shape: Shape, held_s: float) -> None:
        """Give back ``shape`` after a job held it for ``held_s`` seconds."""
        self.free_vcpus += shape.vcpus
        self.free_mib += shape.memory_mib
        self.free_gpus += shape.gpus
        self.jobs -= 1
        self.busy_vcpu_s += shape.vcpus * held_s

    def image_ready_at(self, image: str, now: float, pull_s: float) -> float:
        """Return when ``image`` is usable here, starting a pull if it was never pulled.

        A job arriving while the same image is being pulled waits for that pull to finish.
        """
        ready = self.images.get(image)
        if ready is None:
            ready = now + pull_s
            self.images[image] = ready
        return ready

    def record(self, end: float) -> tuple:
        """Return this instance's record (see records.INSTANCE), closed at ``end`` if open."""
        it = self.itype
        stop = self.terminated_at if self.terminated_at is not None else end
        reason = self.end_reason or "end_of_run"
        return (
            self.instance_id, self.ce.name, it.name, self.lifecycle, it.vcpus, it.memory_mib,
            it.gpus, self.price_per_hour, self.launched_at, self.ready_at, stop, reason,
            self.busy_vcpu_s, self.notice_at, self.ce.bill_usd(self, stop, reason),
        )  # fmt: skip


def on_demand_cost_usd(price_per_hour: float, launched_at: float, stopped_at: float) -> float:
    """Return an on-demand bill: per second from launch, with a 60-second minimum."""
    return price_per_hour * max(stopped_at - launched_at, BILLING_MINIMUM_S) / 3600.0
