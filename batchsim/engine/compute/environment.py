"""A compute environment: its hosts, placement on them, launches, terminations, capacity records.

What differs between kinds (EC2, Spot, Fargate, UNMANAGED) is decided by the
:class:`~batchsim.engine.compute.provisioning.Provisioning` it holds, except one rule of
placement: a Fargate task takes one job and stops with it (the environment's task pool, see
``tasks``). Scaling out, scaling in, capacity shortages and Spot reclaims live in their own
modules of this package.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute import reclaims, scale_out
from batchsim.engine.compute.fargate import TASK_STOPPED, TaskPool, promise_task
from batchsim.engine.compute.instance import Instance, InstanceState
from batchsim.engine.compute.scale_in import start_idle_timer
from batchsim.engine.compute.scale_out import fill_floor, never, promise_room

# NOTE: module names for enum members: cheaper than ``InstanceState.X`` per use (attempts.py)
BOOTING, READY = InstanceState.BOOTING, InstanceState.READY
RETIRING, TERMINATED = InstanceState.RETIRING, InstanceState.TERMINATED


if TYPE_CHECKING:
    from collections.abc import Callable

    from batchsim.catalog import InstanceType
    from batchsim.engine.compute.allocation import TypeOption
    from batchsim.engine.compute.links import EngineLinks
    from batchsim.engine.compute.provisioning import Provisioning
    from batchsim.engine.compute.shortages import Shortages
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.shapes import Shape

REPLACED = "infrastructure_update"  # instances.csv endReason of a host an update replaced
INSUFFICIENT_CAPACITY = (
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested "
    "for instance type [{instance_type}]"
)


@dataclass(frozen=True, slots=True)
class Scaling:
    """How a compute environment scales: vCPU limits at the start, the boot time of a new host
    (a sampler, in seconds), the idle time before scale-in, whether the minvCpus floor is
    ready at t=0, the idle time of a host that never ran a job (None: the same delay;
    AWS's ``minScaleDownDelayMinutes`` does not apply to such hosts), and the vCPUs a fair-share
    reservation is a share of (None: maxvCpus; an UNMANAGED CE's ``unmanagedvCpus``, 0 when
    unset). The fields after the delay are keyword-only, so a new one cannot take the place of
    another in a positional call."""

    min_vcpus: int
    max_vcpus: int
    boot_time: Callable[[], float]
    scale_down_delay_s: float
    _: KW_ONLY
    warm_start: bool = False
    fresh_delay_s: float | None = None
    reservation_vcpus: int | None = None


class ComputeEnvironment:
    """A compute environment scaling hosts between minvCpus and maxvCpus.

    It launches what the scheduler asks it to absorb, never above maxvCpus (by more than one
    host where the provisioning allows overshoot), and terminates hosts idle for the
    scale-down delay while that keeps it at or above minvCpus. ``links`` carries the scheduler
    (told when room appears) and the attempt runner (told of reclaims).
    """

    def __init__(
        self,
        env: BatchEnv,
        name: str,
        provisioning: Provisioning,
        types: list[InstanceType],
        scaling: Scaling,
        shortages: Shortages,
        links: EngineLinks,
        enabled: bool = True,
    ):
        self.env = env
        self.calendar = env.calendar
        self.name = name
        self.enabled = enabled
        self.provisioning = provisioning
        self.types = types
        self.links = links
        self.shortages = shortages
        self.min_vcpus = scaling.min_vcpus
        self.max_vcpus = scaling.max_vcpus
        self.boot_time = scaling.boot_time
        self.scale_down_delay_s = scaling.scale_down_delay_s
        fresh = scaling.fresh_delay_s
        self.fresh_delay_s = scaling.scale_down_delay_s if fresh is None else fresh
        self.warm_start = scaling.warm_start
        self.reservation_vcpus = scaling.reservation_vcpus
        self.lifecycle = provisioning.lifecycle
        self.price_changes = provisioning.change_times()
        self.calendar.daemons_possible |= provisioning.reclaimable or bool(shortages)
        # NOTE: a Fargate task takes one job and stops with it; None costs EC2 one test of this
        # attribute in each of find_instance, allocate and release.
        self.tasks = TaskPool() if provisioning.one_job_per_host else None
        self.promise = promise_task if self.tasks is not None else promise_room
        self.price_wake_at: float | None = None
        self.ready: list[Instance] = []
        self.booting: list[Instance] = []
        self.retiring: list[Instance] = []  # replaced by an infrastructure update, jobs left
        # NOTE: the instances not yet terminated, in launch order (a dict as an ordered set):
        # a terminated one is recorded and forgotten, so 100,000 launches are not all kept.
        self.alive: dict[Instance, None] = {}
        self._live_types: dict[str, int] = {}  # instance type -> instances booting or ready
        self._fits_live: dict[Shape, bool] = {}  # shape -> a live instance type fits it
        self.total_vcpus: int | float = 0  # NOTE: an int unless Fargate: capacity.csv dtype
        self.free_vcpus = 0.0  # free vCPUs on ready instances
        self.option_cache: dict[Shape, list[TypeOption]] = {}
        self.idle_nodes_promised: dict[str, int] = {}  # node type -> promised this round
        self.ready_promised: list[Instance] = []  # ready instances with room promised this round
        # NOTE: bumped whenever what this CE could launch or run may change (instances launched
        # or terminated, limits, prices, launch failures), not when room on instances does:
        # the scheduler re-explains a wait only when it moves.
        self.version = 0

    # Scaling out (scale_out.py): the scheduler's round of demand. NOTE: methods that call the
    # module's functions, not class attributes bound to them, which a mypyc-compiled class
    # would not bind as methods (see docs/architecture.md, "The compiled engine").
    def begin_round(self) -> None:
        """Forget room promised this round (``scale_out.begin_round``)."""
        scale_out.begin_round(self)

    def absorb(self, shape: Shape, jobs: int) -> int:
        """Take on up to ``jobs`` RUNNABLE jobs of ``shape``; see ``scale_out.absorb``."""
        return scale_out.absorb(self, shape, jobs)

    def promise_ready(self, shape: Shape, jobs: int) -> int:
        """Promise ready room to ``jobs`` jobs of ``shape``; see ``scale_out.promise_ready``."""
        return scale_out.promise_ready(self, shape, jobs)

    # --------------------------------------------------------------------- capacity questions
    def options(self, shape: Shape) -> list[TypeOption]:
        """Return the allowed types that fit ``shape``, cheapest per job first (cached); for a
        multi-node parallel job only its node type, and only where such jobs may run."""
        found = self.option_cache.get(shape)
        if found is None:
            found = self.provisioning.options(self.types, shape, self.calendar.now)
            if shape.node_type is not None:
                found = [o for o in found if o.itype.name == shape.node_type]
                found = found if self.multinode_ok else []
            self.option_cache[shape] = found
        return found

    @property
    def multinode_ok(self) -> bool:
        """Whether multi-node parallel jobs run here: AWS runs them on on-demand EC2 only (not
        on Spot, UNMANAGED or Fargate compute environments)."""
        return self.lifecycle == "on-demand"

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Return the bill of ``instance`` from launch to ``stopped_at``."""
        return self.provisioning.bill_usd(instance, stopped_at, end_reason)

    def retire(self, instance: Instance) -> None:
        """Take a ready ``instance`` with jobs out of placement (an infrastructure update
        replaces it): its jobs run on, and it terminates when the last one leaves."""
        self.ready.remove(instance)
        self.retiring.append(instance)
        instance.state = RETIRING
        # NOTE: its free vCPUs stay in free_vcpus (only a quick filter) until it terminates.

    def can_ever_serve(self, shape: Shape) -> bool:
        """Return whether some instance this CE may launch could ever run a job of ``shape``."""
        options = self.options(shape)
        if not options or shape.vcpus * (shape.nodes or 1) > self.max_vcpus:
            return False
        return self.provisioning.overshoot or any(o.itype.vcpus <= self.max_vcpus for o in options)

    def could_place_later(self, shape: Shape) -> bool:
        """Return whether a job of ``shape`` can still be placed here without a change of limits:
        an instance it fits (once empty) is alive, or a fitting one may still be launched.

        False means every live instance is too small and maxvCpus leaves no room for one that
        is not, e.g. when the minvCpus floor holds small instances at maxvCpus.
        """
        if not self.enabled:
            return False
        if shape.nodes:
            # NOTE: an infrastructure update may have taken the node type off instanceTypes.
            return bool(self.options(shape)) and self._could_hold_nodes(shape)
        if self.fits_live(shape):
            return True
        # NOTE: a type short of capacity or over the Spot cap now may launch later.
        budget = self.max_vcpus - self.total_vcpus
        return self.can_grow() and bool(
            self.provisioning.plan(self.options(shape), 1, budget, never)
        )

    def fits_live(self, shape: Shape) -> bool:
        """Return whether an instance alive here (booting, ready or retiring) is of an allowed
        type that fits ``shape`` (cached until the live types or the limits change)."""
        fits = self._fits_live.get(shape)
        if fits is None:
            live = self._live_types
            fits = self._fits_live[shape] = any(o.itype.name in live for o in self.options(shape))
        return fits

    def _could_hold_nodes(self, shape: Shape) -> bool:
        """Whether all nodes of an MNP job could be alive here at once: the node-type vCPUs
        alive, plus the headroom under maxvCpus, plus what other types may give back by scaling
        in (all but what the minvCpus floor keeps)."""
        node_type = shape.node_type
        assert node_type is not None  # NOTE: a multi-node shape always names its node type
        node_vcpus = shape.vcpus
        alive = self._live_types.get(node_type, 0) * node_vcpus
        others = self.total_vcpus - alive
        freed = min(others, max(self.total_vcpus - self.min_vcpus, 0))
        return alive + (self.max_vcpus - self.total_vcpus) + freed >= shape.nodes * node_vcpus

    def update_limits(self) -> None:
        """New minvCpus, maxvCpus or state (UpdateComputeEnvironment): refill the floor and look
        at the waiting jobs again; a lower maxvCpus takes effect as instances scale in."""
        self._fits_live.clear()
        # NOTE: a floor raised by the user is no refill after a reclaim: its instances stay
        # by the floor like those launched at t=0 (a refill's idle check is a daemon timer,
        # which an on-demand run cannot schedule).
        fill_floor(self, refill=False)
        self.capacity_back()

    def capacity_back(self, _event=None) -> None:
        """A blocked type or a price may have come back: refill the floor, look again."""
        self.version += 1
        fill_floor(self)
        self.links.request_pass()

    def can_grow(self) -> bool:
        """Return whether the CE may launch more instances now."""
        return self.enabled and self.total_vcpus < self.max_vcpus

    def blocked(self, itype: InstanceType) -> bool:
        """Return whether EC2 refused ``itype`` lately and it is still blocked."""
        return self.shortages.blocked(itype, self.calendar.now)

    def short_type_for(self, shape: Shape) -> str | None:
        """Return a type fitting ``shape`` that EC2 cannot launch now, if any (for statusReason)."""
        if not self.shortages.blocked_until:
            return None
        return self.shortages.short_type(self.options(shape), self.calendar.now)

    # --------------------------------------------------------------------- placement
    def find_instance(self, shape: Shape) -> Instance | None:
        """Return the first ready instance (in launch order) with room for ``shape``; on
        Fargate, the oldest idle task of exactly its size."""
        vcpus = shape.vcpus
        if not self.enabled or vcpus > self.free_vcpus:
            return None
        if self.tasks is not None:
            return self.tasks.find(shape)
        mib, gpus = shape.memory_mib, shape.gpus
        for instance in self.ready:  # NOTE: Instance.fits inlined; this loop is the hot path
            if (
                instance.free_vcpus >= vcpus
                and instance.free_mib >= mib
                and instance.free_gpus >= gpus
            ):
                return instance
        return None

    def find_nodes(self, shape: Shape) -> list[Instance] | None:
        """Return ``shape.nodes`` empty ready instances of the node type (the single-tenant
        nodes of a multi-node parallel job), or None while there are not that many."""
        if not self.enabled or not self.multinode_ok:
            return None
        assert shape.node_type is not None  # NOTE: only multi-node shapes ask for nodes
        hosts = self.empty_nodes(shape.node_type)
        return hosts[: shape.nodes] if len(hosts) >= shape.nodes else None

    def empty_nodes(self, node_type: str) -> list[Instance]:
        """Return the ready instances of ``node_type`` with nothing on them, in launch order."""
        return [i for i in self.ready if i.itype.name == node_type and not i.jobs]

    def allocate(self, instance: Instance, shape: Shape) -> None:
        """Reserve ``shape`` on ``instance`` for a job placed there."""
        if self.tasks is not None:
            self.tasks.take(instance)
        instance.allocate(shape)
        self.free_vcpus -= shape.vcpus

    def release(self, instance: Instance, shape: Shape, held_s: float) -> None:
        """Free ``shape`` on ``instance``; start its idle timer if it is now empty (a Fargate
        task stops with its job)."""
        self.evict(instance, shape, held_s)
        if self.tasks is not None:
            self.terminate(instance, TASK_STOPPED)
            return
        if not instance.jobs:
            if instance.state == RETIRING:
                self.terminate(instance, REPLACED)  # NOTE: its last job left; it was replaced
            else:
                start_idle_timer(self, instance)
        self.links.request_pass()

    def evict(self, instance: Instance, shape: Shape, held_s: float) -> None:
        """Free ``shape`` on a host being reclaimed (no idle timer: it is about to go)."""
        instance.release(shape, held_s)
        self.free_vcpus += shape.vcpus

    # --------------------------------------------------------------------- hosts
    def start(self) -> None:
        """Register the fixed hosts (UNMANAGED), else launch the minvCpus floor at t=0 (ready at
        once if ``minvCpusReadyAtStart``); schedule the Spot price changes."""
        for at in self.price_changes:
            self.calendar.call_later_daemon(at, lambda _event: reclaims.on_price_change(self))
        fixed = False
        for itype in self.provisioning.fixed_hosts():
            fixed = True
            self.launch(itype, boot_s=0.0)
        if not fixed:
            fill_floor(self, boot_s=0.0 if self.warm_start else None, refill=False)

    def launch(
        self, itype: InstanceType, boot_s: float | None = None, refill: bool = False
    ) -> Instance:
        """Launch one instance of ``itype`` now; it becomes ready after its boot time.

        The boot of a ``refill`` of the minvCpus floor keeps the run going only while jobs wait:
        otherwise a Spot floor, reclaimed and refilled, would never let a finished run end.
        """
        calendar = self.calendar
        provisioning = self.provisioning
        instance = Instance(
            provisioning.new_host_id(),
            itype,
            self,
            provisioning.allocatable_mib(itype),
            calendar.now,
            self.lifecycle,
            provisioning.price(itype, calendar.now),
            provisioning.reclaimable,
        )
        self.alive[instance] = None
        self.booting.append(instance)
        self.total_vcpus += itype.vcpus
        self._live_types[itype.name] = self._live_types.get(itype.name, 0) + 1
        self._fits_live.clear()
        self.version += 1
        self._record_capacity()
        delay = self.boot_time() if boot_s is None else boot_s
        instance.refill = refill
        ready = partial(self._on_ready, instance)
        if refill and calendar.daemons_possible:
            calendar.call_later_daemon(delay, ready, wakeup=True)
        else:
            calendar.call_later(delay, ready)
        reclaims.schedule_reclaim(self, instance, provisioning.lifetime(itype))
        return instance

    def _on_ready(self, instance: Instance, _event=None) -> None:
        if instance.state != BOOTING:
            return
        instance.state = READY
        instance.ready_at = self.calendar.now
        instance.reserved_vcpus = instance.reserved_mib = 0.0
        instance.reserved_gpus = 0
        self.booting.remove(instance)
        self.ready.append(instance)
        if self.tasks is not None:
            self.tasks.add(instance)
        self.free_vcpus += instance.free_vcpus
        self._record_capacity()
        start_idle_timer(self, instance)  # NOTE: a Fargate task that finds no job stops at once
        self.links.request_pass()

    def terminate(self, instance: Instance, reason: str) -> None:
        """Terminate ``instance`` now (it must hold no job) and record its lifetime."""
        now = self.calendar.now
        if instance.state == READY:
            self.ready.remove(instance)
            self.free_vcpus -= instance.free_vcpus
        elif instance.state == BOOTING:
            self.booting.remove(instance)
        elif instance.state == RETIRING:
            self.retiring.remove(instance)
            self.free_vcpus -= instance.free_vcpus  # NOTE: still counted while it retired
        if self.tasks is not None:
            self.tasks.discard(instance)
        instance.state = TERMINATED
        instance.terminated_at = now
        if instance.idle_timer is not None and self.calendar.daemons_possible:
            # NOTE: a reclaimed instance needs no idle check
            self.calendar.cancel(instance.idle_timer)
            instance.idle_timer = None
        name = instance.itype.name
        self._live_types[name] -= 1
        if not self._live_types[name]:
            del self._live_types[name]
            self._fits_live.clear()
        instance.end_reason = reason
        del self.alive[instance]
        self.total_vcpus -= instance.itype.vcpus
        self.version += 1
        self.env.recorder.instances.append(instance.record(now))
        self._record_capacity()
        self.links.request_pass()  # headroom under maxvCpus may let waiting jobs scale out

    def _record_capacity(self) -> None:
        ready = self.total_vcpus - sum(i.itype.vcpus for i in self.booting)
        self.env.recorder.capacity.append((self.calendar.now, self.name, self.total_vcpus, ready))
