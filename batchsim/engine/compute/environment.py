"""Managed EC2 compute environments: launch, boot, placement, idle scale-in, capacity records."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute.allocation import (
    TypeOption,
    by_spot_strategy,
    options_for,
    plan_best_fit,
    plan_progressive,
)
from batchsim.engine.compute.instance import Instance, InstanceState, on_demand_cost_usd
from batchsim.engine.compute.spot import HOST_TERMINATED, SpotInterruption, SpotMarket
from batchsim.engine.spec import Shape
from batchsim.scenario.distributions import make_sampler
from batchsim.scenario.schema import SpotSettings

if TYPE_CHECKING:
    from batchsim.catalog import InstanceType
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.schema import SimulationSettings

MIN_FILL_SHAPE = Shape(1, 0.0, 0)  # minvCpus is counted in vCPUs only
MIN_LIFETIME_S = 1.0  # a drawn lifetime of 0 would reclaim and refill forever at one instant
RECHECK_S = 1.0  # how soon an idle instance kept for a waiting job is looked at again
SPOT_INTERRUPTED = "spot_interrupted"
INSUFFICIENT_CAPACITY = (
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested "
    "for instance type [{instance_type}]"
)


def _never(_itype: InstanceType) -> bool:
    return False


def _by_index(job) -> int:
    return job.index


class Shortage:
    """A capacity shortage window (engine form of ``simulation.capacityShortages``)."""

    __slots__ = ("types", "start_at", "end_at", "probability", "retry_after_s")

    def __init__(self, spec):
        self.types = None if spec.instanceTypes is None else set(spec.instanceTypes)
        self.start_at = spec.start
        self.end_at = math.inf if spec.end is None else spec.end
        self.probability = spec.probability
        self.retry_after_s = spec.retryAfter

    def covers(self, name: str, now: float) -> bool:
        """Return whether launches of type ``name`` are short at ``now``."""
        return self.start_at <= now < self.end_at and (self.types is None or name in self.types)


class ComputeEnvironment:
    """A MANAGED compute environment scaling whole instances between minvCpus and maxvCpus.

    It launches what the scheduler asks it to absorb, never above maxvCpus (by more than one
    instance where AWS allows overshoot), and terminates instances idle for the scale-down delay
    while that keeps it at or above minvCpus.
    """

    def __init__(
        self, env: BatchEnv, spec: CESpec, types: list[InstanceType], settings: SimulationSettings
    ):
        resources = spec.computeResources
        self.env = env
        self.name = spec.computeEnvironmentName
        self.enabled = spec.state == "ENABLED"
        self.min_vcpus = resources.minvCpus
        self.max_vcpus = resources.maxvCpus
        self.strategy = resources.allocationStrategy
        # AWS: any strategy may exceed maxvCpus by one instance, except BEST_FIT on-demand.
        self.overshoot = not (self.strategy == "BEST_FIT" and resources.type == "EC2")
        self.market: SpotMarket | None = None
        if resources.type == "SPOT":
            spot = spec.simulation.spot or SpotSettings()
            self.market = SpotMarket(resources, spot, types, env.stream(f"spot:{self.name}"))
            types = [t for t in types if self.market.ever_launchable(t)]
        self.lifecycle = "spot" if self.market is not None else "on-demand"
        self.notice_s = self.market.notice_s if self.market is not None else 0.0
        self.reclaim_reason = HOST_TERMINATED
        self.reclaimable = self.market is not None  # instances may be taken back
        self.types = types
        self.shortages = [Shortage(s) for s in spec.simulation.capacityShortages]
        env.daemons_possible |= self.reclaimable or bool(self.shortages)
        self._shortage_rng = env.stream(f"capacity:{self.name}")
        self._blocked_until: dict[str, float] = {}  # instance type -> end of its launch failure
        self._price_wake_at: float | None = None
        self.boot_time = make_sampler(spec.simulation.bootTime, env.stream(f"boot:{self.name}"))
        policy = resources.scalingPolicy
        minutes = policy.minScaleDownDelayMinutes if policy else 0
        self.scale_down_delay_s = minutes * 60.0 if minutes else spec.simulation.scaleDownDelay
        self.warm_start = spec.simulation.minvCpusReadyAtStart
        self._settings = settings
        self.ready: list[Instance] = []
        self.booting: list[Instance] = []
        self.all_instances: list[Instance] = []
        self._live_types: dict[str, int] = {}  # instance type -> instances booting or ready
        self._fits_live: dict[Shape, bool] = {}  # shape -> a live instance type fits it
        self.total_vcpus = 0  # vCPUs of instances booting or ready (AWS desiredvCpus)
        self.free_vcpus = 0  # free vCPUs on ready instances
        self._options: dict[Shape, list[TypeOption]] = {}
        self._idle_nodes_promised: dict[str, int] = {}  # node type -> promised this round
        # NOTE: bumped whenever what this CE could launch or run may change (instances launched
        # or terminated, limits, prices, launch failures), not when room on instances does:
        # the scheduler re-explains a wait only when it moves.
        self.version = 0
        self.on_capacity = None  # set by the scheduler: called when room appears
        self.is_wanted = None  # set by the scheduler: does a waiting job fit this instance?
        self.runner = None  # set by the model: ends attempts on a reclaimed host

    # --------------------------------------------------------------------- capacity questions
    def allocatable_mib(self, itype: InstanceType) -> float:
        """Return the memory ECS registers for ``itype`` (nominal × factor − reserved)."""
        return self._settings.allocatable_mib(itype.memory_mib)

    def options(self, shape: Shape) -> list[TypeOption]:
        """Return the allowed types that fit ``shape``, cheapest per job first (cached); for a
        multi-node parallel job only its node type, and only where such jobs may run."""
        found = self._options.get(shape)
        if found is None:
            found = options_for(self.types, shape, self.allocatable_mib, self.price_now)
            if shape.node_type is not None:
                found = [o for o in found if o.itype.name == shape.node_type]
                found = found if self.multinode_ok else []
            self._options[shape] = found
        return found

    @property
    def multinode_ok(self) -> bool:
        """Whether multi-node parallel jobs run here: AWS runs them on on-demand EC2 only (not
        on Spot, UNMANAGED or Fargate compute environments)."""
        return self.lifecycle == "on-demand"

    def price_now(self, itype: InstanceType) -> float:
        """Return what an instance of ``itype`` launched now costs per hour."""
        if self.market is None:
            return itype.on_demand_price_per_hour
        return self.market.price(itype, self.env.now)

    def bill_usd(self, instance: Instance, stopped_at: float, end_reason: str) -> float:
        """Return the bill of ``instance`` from launch to ``stopped_at``."""
        if self.market is None:
            return on_demand_cost_usd(instance.price_per_hour, instance.launched_at, stopped_at)
        reclaimed = end_reason == SPOT_INTERRUPTED
        return self.market.cost_usd(instance.itype, instance.launched_at, stopped_at, reclaimed)

    def can_ever_serve(self, shape: Shape) -> bool:
        """Return whether some instance this CE may launch could ever run a job of ``shape``."""
        options = self.options(shape)
        if not options or shape.vcpus * (shape.nodes or 1) > self.max_vcpus:
            return False
        return self.overshoot or any(o.itype.vcpus <= self.max_vcpus for o in options)

    def could_place_later(self, shape: Shape) -> bool:
        """Return whether a job of ``shape`` can still be placed here without a change of limits:
        an instance it fits (once empty) is alive, or a fitting one may still be launched.

        False means every live instance is too small and maxvCpus leaves no room for one that
        is not, e.g. when the minvCpus floor holds small instances at maxvCpus.
        """
        if not self.enabled:
            return False
        if shape.nodes:
            return self._could_hold_nodes(shape)
        fits_live = self._fits_live.get(shape)
        if fits_live is None:
            options = self.options(shape)
            fits_live = self._fits_live[shape] = any(
                o.itype.name in self._live_types for o in options
            )
        if fits_live:
            return True
        # NOTE: a type short of capacity or over the Spot cap now may launch later.
        budget = self.max_vcpus - self.total_vcpus
        return self.can_grow() and bool(self._plan(self.options(shape), 1, budget, _never))

    def _could_hold_nodes(self, shape: Shape) -> bool:
        """Whether all nodes of an MNP job could be alive here at once: the node-type vCPUs
        alive, plus the headroom under maxvCpus, plus what other types may give back by scaling
        in (all but what the minvCpus floor keeps)."""
        node_vcpus = shape.vcpus
        alive = self._live_types.get(shape.node_type, 0) * node_vcpus
        others = self.total_vcpus - alive
        freed = min(others, max(self.total_vcpus - self.min_vcpus, 0))
        return alive + (self.max_vcpus - self.total_vcpus) + freed >= shape.nodes * node_vcpus

    def update_limits(self) -> None:
        """New minvCpus, maxvCpus or state (UpdateComputeEnvironment): refill the floor and look
        at the waiting jobs again; a lower maxvCpus takes effect as instances scale in."""
        self._fits_live.clear()
        self.version += 1
        self._fill_floor()
        self.on_capacity()

    def can_grow(self) -> bool:
        """Return whether the CE may launch more instances now."""
        return self.enabled and self.total_vcpus < self.max_vcpus

    def find_instance(self, shape: Shape) -> Instance | None:
        """Return the first ready instance (in launch order) with room for ``shape``."""
        vcpus = shape.vcpus
        if not self.enabled or vcpus > self.free_vcpus:
            return None
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
        hosts = self._empty_nodes(shape.node_type)
        return hosts[: shape.nodes] if len(hosts) >= shape.nodes else None

    def _empty_nodes(self, node_type: str) -> list[Instance]:
        """Return the ready instances of ``node_type`` with nothing on them, in launch order."""
        return [i for i in self.ready if i.itype.name == node_type and not i.jobs]

    # --------------------------------------------------------------------- scale-out
    def start(self) -> None:
        """Launch the minvCpus floor at t=0 (ready at once if ``minvCpusReadyAtStart``) and
        schedule the Spot price changes."""
        if self.market is not None:
            for at in self.market.change_times():
                self.env.call_later_daemon(at, lambda _event: self._on_price_change())
        self._fill_floor(boot_s=0.0 if self.warm_start else None, refill=False)

    def _fill_floor(self, boot_s: float | None = None, refill: bool = True) -> None:
        """Launch what the minvCpus floor lacks (at t=0, after a reclaim, when capacity returns)."""
        missing = self.min_vcpus - self.total_vcpus
        if missing > 0 and self.enabled:
            self._launch_for(MIN_FILL_SHAPE, missing, boot_s, refill)

    def _launch_for(
        self, shape: Shape, jobs: int, boot_s: float | None = None, refill: bool = False
    ) -> int:
        """Launch what the strategy plans for ``jobs`` jobs of ``shape``; return how many the
        new instances take. A launch EC2 refuses (a capacity shortage) blocks its type, and the
        plan is made again without it."""
        taken = 0
        while taken < jobs and self.can_grow():
            budget = self.max_vcpus - self.total_vcpus
            plan = self._plan(
                self._launchable_now(self.options(shape)), jobs - taken, budget, self._blocked
            )
            refused = False
            for itype in plan:
                refused = not self._capacity_available(itype)
                if refused:
                    break
                taken += self._promise(self.launch(itype, boot_s, refill), shape, jobs - taken)
                if taken >= jobs:
                    break
            if not refused:
                break
        return taken

    def _launchable_now(self, options: list[TypeOption]) -> list[TypeOption]:
        """Drop the Spot types priced over the cap now (and wake up when prices change)."""
        if self.market is None:
            return options
        now = self.env.now
        launchable = [o for o in options if self.market.launchable(o.itype, now)]
        if len(launchable) < len(options):
            self._wake_when_prices_change()
        return launchable

    def _plan(
        self, options: list[TypeOption], jobs: int, budget: float, blocked
    ) -> list[InstanceType]:
        """Return the types the allocation strategy launches for ``jobs`` jobs among ``options``,
        leaving out the types ``blocked(itype)`` says EC2 cannot launch now."""
        if self.strategy == "BEST_FIT":
            # AWS: BEST_FIT waits for its one best type rather than move to another.
            plan = plan_best_fit(options, jobs, budget, self.overshoot)
            return [] if plan and blocked(plan[0]) else plan
        options = by_spot_strategy([o for o in options if not blocked(o.itype)], self.strategy)
        return plan_progressive(options, jobs, budget, self.overshoot)

    def _wake_when_prices_change(self) -> None:
        """Ask for a pass at the next price change: a type over the cap now may fall under it."""
        later = [t for t in self.market.change_times() if t > self.env.now]
        if later and self._price_wake_at != later[0]:
            self._price_wake_at = later[0]
            self.env.call_later_daemon(later[0] - self.env.now, self._on_capacity_back, wakeup=True)

    def _on_capacity_back(self, _event=None) -> None:
        self.version += 1
        self._fill_floor()
        self.on_capacity()

    def _blocked(self, itype: InstanceType) -> bool:
        until = self._blocked_until.get(itype.name)
        return until is not None and until > self.env.now

    def short_type_for(self, shape: Shape) -> str | None:
        """Return a type fitting ``shape`` that EC2 cannot launch now, if any (for statusReason)."""
        if not self._blocked_until:
            return None
        for option in self.options(shape):
            if self._blocked(option.itype):
                return option.itype.name
        return None

    def _capacity_available(self, itype: InstanceType) -> bool:
        """Return whether EC2 launches ``itype`` now; if not, block the type for a while."""
        if not self.shortages:
            return True
        now = self.env.now
        for shortage in self.shortages:
            if not shortage.covers(itype.name, now):
                continue
            sure = shortage.probability >= 1
            if sure or self._shortage_rng.random() < shortage.probability:
                until = (
                    shortage.end_at if sure else min(shortage.end_at, now + shortage.retry_after_s)
                )
                self._blocked_until[itype.name] = until
                self.version += 1
                if until < math.inf:
                    self.env.call_later_daemon(until - now, self._on_capacity_back, wakeup=True)
                return False
        return True

    def begin_round(self) -> None:
        """Forget room promised on booting instances; the scheduler re-promises it each round."""
        for instance in self.booting:
            instance.reserved_vcpus = 0
            instance.reserved_mib = 0.0
            instance.reserved_gpus = 0
        self._idle_nodes_promised.clear()

    def absorb(self, shape: Shape, jobs: int) -> int:
        """Take on up to ``jobs`` RUNNABLE jobs of ``shape``: promise booting room, then launch.

        Returns how many jobs this CE will serve; the rest may go to the next CE in order. For
        a multi-node parallel job, ``jobs`` counts nodes, and empty ready instances of the node
        type (waiting for the rest of their gang) count first.
        """
        left = jobs
        if shape.nodes:
            left -= self._promise_idle_nodes(shape, left)
        left -= self._promise_booting(shape, left)
        if left > 0 and self.can_grow():
            left -= self._launch_for(shape, left)
        return jobs - max(left, 0)

    def _promise_idle_nodes(self, shape: Shape, nodes: int) -> int:
        """Promise up to ``nodes`` empty ready instances of the node type (once per round)."""
        name = shape.node_type
        idle = len(self._empty_nodes(name))
        promised = min(max(idle - self._idle_nodes_promised.get(name, 0), 0), nodes)
        self._idle_nodes_promised[name] = self._idle_nodes_promised.get(name, 0) + promised
        return promised

    def _promise_booting(self, shape: Shape, jobs: int) -> int:
        promised = 0
        node_type = shape.node_type
        for instance in self.booting:
            if promised >= jobs:
                break
            if node_type is not None and instance.itype.name != node_type:
                continue  # NOTE: MNP nodes are of one type
            promised += self._promise(instance, shape, jobs - promised)
        return promised

    @staticmethod
    def _promise(instance: Instance, shape: Shape, jobs: int) -> int:
        vcpus = instance.free_vcpus - instance.reserved_vcpus
        count = int(vcpus // shape.vcpus)
        if shape.memory_mib > 0:
            count = min(count, int((instance.free_mib - instance.reserved_mib) // shape.memory_mib))
        if shape.gpus:
            count = min(count, (instance.free_gpus - instance.reserved_gpus) // shape.gpus)
        count = max(0, min(count, jobs))
        instance.reserved_vcpus += count * shape.vcpus
        instance.reserved_mib += count * shape.memory_mib
        instance.reserved_gpus += count * shape.gpus
        return count

    def launch(
        self, itype: InstanceType, boot_s: float | None = None, refill: bool = False
    ) -> Instance:
        """Launch one instance of ``itype`` now; it becomes ready after its boot time.

        The boot of a ``refill`` of the minvCpus floor keeps the run going only while jobs wait:
        otherwise a Spot floor, reclaimed and refilled, would never let a finished run end.
        """
        env = self.env
        instance_id = self.new_instance_id()
        instance = Instance(
            instance_id,
            itype,
            self,
            self.allocatable_mib(itype),
            env.now,
            self.lifecycle,
            self.price_now(itype),
            self.reclaimable,
        )
        self.all_instances.append(instance)
        self.booting.append(instance)
        self.total_vcpus += itype.vcpus
        self._live_types[itype.name] = self._live_types.get(itype.name, 0) + 1
        self._fits_live.clear()
        self.version += 1
        self._record_capacity()
        delay = self.boot_time() if boot_s is None else boot_s
        instance.refill = refill
        if refill and env.daemons_possible:
            env.call_later_daemon(delay, lambda _event: self._on_ready(instance), wakeup=True)
        else:
            env.call_later(delay, lambda _event: self._on_ready(instance))
        self._schedule_reclaim(instance, self.draw_lifetime(itype))
        return instance

    def new_instance_id(self) -> str:
        """Return the id of a new instance (EC2 style)."""
        return self.env.new_instance_id()

    def draw_lifetime(self, itype: InstanceType) -> float:
        """Return how long a new instance of ``itype`` lives before a reclaim (inf: never)."""
        return math.inf if self.market is None else self.market.draw_lifetime(itype)

    # --------------------------------------------------------------------- spot interruptions
    def _schedule_reclaim(self, instance: Instance, lifetime_s: float) -> None:
        """Schedule the notice and the reclaim of a Spot instance (daemon timers: a pending
        reclaim never keeps a finished run going)."""
        if lifetime_s == math.inf:
            return
        lifetime_s = max(lifetime_s, MIN_LIFETIME_S)
        env = self.env
        reclaim_at = env.now + lifetime_s
        notice_at = max(env.now, reclaim_at - self.notice_s)
        cause = SpotInterruption(instance.instance_id, notice_at, reclaim_at, self.reclaim_reason)
        env.call_later_daemon(notice_at - env.now, lambda _event: self._notice(instance, cause))
        env.call_later_daemon(lifetime_s, lambda _event: self._reclaim(instance, cause))

    def _notice(self, instance: Instance, cause: SpotInterruption) -> None:
        if instance.state == InstanceState.TERMINATED or instance.notice_at is not None:
            return
        instance.notice_at = self.env.now
        for job in list(instance.running):
            self.runner.on_notice(job, self.env.now, cause.reclaim_at)

    def _reclaim(self, instance: Instance, cause: SpotInterruption) -> None:
        """EC2 takes the instance back: every attempt on it ends, then the floor is refilled."""
        if instance.state == InstanceState.TERMINATED:
            return
        now = self.env.now
        for job in sorted(instance.running, key=_by_index):  # NOTE: a set's order is not stable
            self.runner.interrupt(job, cause, now)
        self.terminate(instance, SPOT_INTERRUPTED)
        self._fill_floor()

    def _on_price_change(self) -> None:
        """Re-rank types at the new prices; reclaim instances whose price passed the cap."""
        self._options.clear()
        now = self.env.now
        for instance in self.booting + self.ready:
            if instance.notice_at is None and not self.market.launchable(instance.itype, now):
                self._schedule_reclaim(instance, self.notice_s)
        self._on_capacity_back()

    def evict(self, instance: Instance, shape: Shape, held_s: float) -> None:
        """Free ``shape`` on a host being reclaimed (no idle timer: it is about to go)."""
        instance.release(shape, held_s)
        self.free_vcpus += shape.vcpus

    def _on_ready(self, instance: Instance) -> None:
        if instance.state != InstanceState.BOOTING:
            return
        instance.state = InstanceState.READY
        instance.ready_at = self.env.now
        instance.reserved_vcpus = instance.reserved_mib = instance.reserved_gpus = 0
        self.booting.remove(instance)
        self.ready.append(instance)
        self.free_vcpus += instance.free_vcpus
        self._record_capacity()
        self._start_idle_timer(instance)
        self.on_capacity()

    # --------------------------------------------------------------------- placement
    def allocate(self, instance: Instance, shape: Shape) -> None:
        """Reserve ``shape`` on ``instance`` for a job placed there."""
        instance.allocate(shape)
        self.free_vcpus -= shape.vcpus

    def release(self, instance: Instance, shape: Shape, held_s: float) -> None:
        """Free ``shape`` on ``instance``; start its idle timer if it is now empty."""
        self.evict(instance, shape, held_s)
        if not instance.jobs:
            self._start_idle_timer(instance)
        self.on_capacity()

    # --------------------------------------------------------------------- scale-in
    def _start_idle_timer(self, instance: Instance) -> None:
        """``instance`` became empty now: it scales in after the scale-down delay unless a job
        comes first."""
        if not instance.refill:
            instance.idle_since = self.env._now
            # NOTE: one pending timer per instance, re-armed when it fires early (see
            # _idle_due), not one timer per release: an instance that takes a job at every
            # release would otherwise add an event per job.
            if instance.idle_timer is None:
                instance.idle_timer = self.env.call_later(
                    self.scale_down_delay_s, partial(self._idle_due, instance)
                )
            return
        instance.idle_token += 1
        token = instance.idle_token
        delay, check = (
            self.scale_down_delay_s,
            lambda event: self._idle_expired(instance, token, event),
        )
        if self.total_vcpus - instance.itype.vcpus < self.min_vcpus:
            # NOTE: the floor keeps this refill of a reclaimed instance, so its idle check must
            # not keep a finished run going (reclaims and refills would never run out).
            self.env.call_later_daemon(delay, check)
        else:
            instance.idle_timer = self.env.call_later(delay, check)

    def _idle_due(self, instance: Instance, event) -> None:
        """The idle timer of ``instance`` fired: if it has been empty for the scale-down delay,
        decide on scale-in; if it took a job since, wait for the delay from its latest release."""
        instance.idle_timer = None
        if instance.jobs or instance.state != InstanceState.READY:
            return  # NOTE: busy, or gone; its next release arms a new timer
        now = self.env._now
        due = instance.idle_since + self.scale_down_delay_s
        if due > now:
            instance.idle_timer = self.env.call_later(due - now, partial(self._idle_due, instance))
            return
        self._idle_expired(instance, instance.idle_token, event)

    def _idle_expired(self, instance: Instance, token: int, event=None) -> None:
        if instance.idle_timer is event:
            instance.idle_timer = None
        # NOTE: decide after this instant's scheduling pass, which may give the instance a job.
        self.env.after_instant(lambda: self._scale_in_if_idle(instance, token))

    def _scale_in_if_idle(self, instance: Instance, token: int) -> None:
        if instance.idle_token != token or instance.jobs or instance.state != InstanceState.READY:
            return
        if self.enabled and self.is_wanted(self, instance):
            # A waiting job fits and the next pass (a later scheduler tick) will place it.
            delay = max(self.scale_down_delay_s, RECHECK_S)
            self.env.call_later(delay, lambda _event: self._idle_expired(instance, token))
            return
        if self.total_vcpus - instance.itype.vcpus < self.min_vcpus:
            return  # NOTE: the minvCpus floor keeps it; scale-in never shrinks an instance.
        self.terminate(instance, "scale_in")

    def terminate(self, instance: Instance, reason: str) -> None:
        """Terminate ``instance`` now (it must hold no job) and record its lifetime."""
        now = self.env.now
        if instance.state == InstanceState.READY:
            self.ready.remove(instance)
            self.free_vcpus -= instance.free_vcpus
        elif instance.state == InstanceState.BOOTING:
            self.booting.remove(instance)
        instance.state = InstanceState.TERMINATED
        instance.terminated_at = now
        if instance.idle_timer is not None and self.env.daemons_possible:
            self.env.cancel(instance.idle_timer)  # NOTE: a reclaimed instance needs no idle check
            instance.idle_timer = None
        name = instance.itype.name
        self._live_types[name] -= 1
        if not self._live_types[name]:
            del self._live_types[name]
            self._fits_live.clear()
        instance.end_reason = reason
        self.total_vcpus -= instance.itype.vcpus
        self.version += 1
        self.env.recorder.instances.append(instance.record(now))
        self._record_capacity()
        self.on_capacity()  # headroom under maxvCpus may let waiting jobs scale out

    def _record_capacity(self) -> None:
        ready = self.total_vcpus - sum(i.itype.vcpus for i in self.booting)
        self.env.recorder.capacity.append((self.env.now, self.name, self.total_vcpus, ready))
