"""Managed EC2 compute environments: launch, boot, placement, idle scale-in, capacity records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchsim.engine.allocation import TypeOption, options_for, plan_best_fit, plan_progressive
from batchsim.engine.instance import Instance, InstanceState
from batchsim.engine.spec import Shape
from batchsim.scenario.distributions import make_sampler

if TYPE_CHECKING:
    from batchsim.catalog import InstanceType
    from batchsim.engine.env import BatchEnv
    from batchsim.scenario.schema import ComputeEnvironment as CESpec
    from batchsim.scenario.schema import SimulationSettings

MIN_FILL_SHAPE = Shape(1, 0.0, 0)  # minvCpus is counted in vCPUs only
RECHECK_S = 1.0  # how soon an idle instance kept for a waiting job is looked at again


class ComputeEnvironment:
    """A MANAGED compute environment scaling whole instances between minvCpus and maxvCpus.

    It launches what the scheduler asks it to absorb, never above maxvCpus (by more than one
    instance where AWS allows overshoot), and terminates instances idle for the scale-down delay
    while that keeps it at or above minvCpus.
    """

    def __init__(self, env: BatchEnv, spec: CESpec, types: list[InstanceType], settings: SimulationSettings):
        resources = spec.computeResources
        self.env = env
        self.name = spec.computeEnvironmentName
        self.enabled = spec.state == "ENABLED"
        self.min_vcpus = resources.minvCpus
        self.max_vcpus = resources.maxvCpus
        self.strategy = resources.allocationStrategy
        # AWS: any strategy may exceed maxvCpus by one instance, except BEST_FIT on-demand.
        self.overshoot = not (self.strategy == "BEST_FIT" and resources.type == "EC2")
        self.types = types
        self.boot_time = make_sampler(spec.simulation.bootTime, env.stream(f"boot:{self.name}"))
        policy = resources.scalingPolicy
        minutes = policy.minScaleDownDelayMinutes if policy else 0
        self.scale_down_delay_s = minutes * 60.0 if minutes else spec.simulation.scaleDownDelay
        self.warm_start = spec.simulation.minvCpusReadyAtStart
        self._mem_factor = settings.allocatableMemoryFactor
        self._mem_reserved = settings.reservedMemoryMiB
        self.ready: list[Instance] = []
        self.booting: list[Instance] = []
        self.all_instances: list[Instance] = []
        self._live_types: dict[str, int] = {}  # instance type -> instances booting or ready
        self._fits_live: dict[Shape, bool] = {}  # shape -> a live instance type fits it
        self.total_vcpus = 0  # vCPUs of instances booting or ready (AWS desiredvCpus)
        self.free_vcpus = 0  # free vCPUs on ready instances
        self._options: dict[Shape, list[TypeOption]] = {}
        self.on_capacity = None  # set by the scheduler: called when room appears
        self.is_wanted = None  # set by the scheduler: does a waiting job fit this instance?

    # --------------------------------------------------------------------- capacity questions
    def allocatable_mib(self, itype: InstanceType) -> float:
        """Return the memory ECS registers for ``itype`` (nominal × factor − reserved)."""
        return itype.memory_mib * self._mem_factor - self._mem_reserved

    def options(self, shape: Shape) -> list[TypeOption]:
        """Return the allowed types that fit ``shape``, cheapest per job first (cached)."""
        found = self._options.get(shape)
        if found is None:
            found = self._options[shape] = options_for(self.types, shape, self.allocatable_mib)
        return found

    def can_ever_serve(self, shape: Shape) -> bool:
        """Return whether some instance this CE may launch could ever run a job of ``shape``."""
        options = self.options(shape)
        if not options or shape.vcpus > self.max_vcpus:
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
        fits_live = self._fits_live.get(shape)
        if fits_live is None:
            options = self.options(shape)
            fits_live = self._fits_live[shape] = any(o.itype.name in self._live_types for o in options)
        if fits_live:
            return True
        return self.can_grow() and bool(self._plan(self.options(shape), 1, self.max_vcpus - self.total_vcpus))

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
            if instance.free_vcpus >= vcpus and instance.free_mib >= mib and instance.free_gpus >= gpus:
                return instance
        return None

    # --------------------------------------------------------------------- scale-out
    def start(self) -> None:
        """Launch the minvCpus floor at t=0 (ready at once if ``minvCpusReadyAtStart``)."""
        if self.min_vcpus <= 0:
            return
        plan = self._plan(self.options(MIN_FILL_SHAPE), self.min_vcpus, self.max_vcpus)
        for itype in plan:
            self.launch(itype, boot_s=0.0 if self.warm_start else None)

    def _plan(self, options: list[TypeOption], jobs: int, budget: float) -> list[InstanceType]:
        if self.strategy == "BEST_FIT":
            return plan_best_fit(options, jobs, budget)
        return plan_progressive(options, jobs, budget, self.overshoot)

    def begin_round(self) -> None:
        """Forget room promised on booting instances; the scheduler re-promises it each round."""
        for instance in self.booting:
            instance.reserved_vcpus = 0
            instance.reserved_mib = 0.0
            instance.reserved_gpus = 0

    def absorb(self, shape: Shape, jobs: int) -> int:
        """Take on up to ``jobs`` RUNNABLE jobs of ``shape``: promise booting room, then launch.

        Returns how many jobs this CE will serve; the rest may go to the next CE in order.
        """
        left = jobs - self._promise_booting(shape, jobs)
        if left > 0 and self.can_grow():
            for itype in self._plan(self.options(shape), left, self.max_vcpus - self.total_vcpus):
                instance = self.launch(itype)
                left -= self._promise(instance, shape, left)
                if left <= 0:
                    break
        return jobs - max(left, 0)

    def _promise_booting(self, shape: Shape, jobs: int) -> int:
        promised = 0
        for instance in self.booting:
            if promised >= jobs:
                break
            promised += self._promise(instance, shape, jobs - promised)
        return promised

    @staticmethod
    def _promise(instance: Instance, shape: Shape, jobs: int) -> int:
        vcpus = instance.free_vcpus - instance.reserved_vcpus
        count = vcpus // shape.vcpus
        if shape.memory_mib > 0:
            count = min(count, int((instance.free_mib - instance.reserved_mib) // shape.memory_mib))
        if shape.gpus:
            count = min(count, (instance.free_gpus - instance.reserved_gpus) // shape.gpus)
        count = max(0, min(count, jobs))
        instance.reserved_vcpus += count * shape.vcpus
        instance.reserved_mib += count * shape.memory_mib
        instance.reserved_gpus += count * shape.gpus
        return count

    def launch(self, itype: InstanceType, boot_s: float | None = None) -> Instance:
        """Launch one instance of ``itype`` now; it becomes ready after its boot time."""
        env = self.env
        instance_id = env.new_instance_id()
        instance = Instance(instance_id, itype, self, self.allocatable_mib(itype), env.now)
        self.all_instances.append(instance)
        self.booting.append(instance)
        self.total_vcpus += itype.vcpus
        self._live_types[itype.name] = self._live_types.get(itype.name, 0) + 1
        self._fits_live.clear()
        self._record_capacity()
        delay = self.boot_time() if boot_s is None else boot_s
        env.call_later(delay, lambda _event: self._on_ready(instance))
        return instance

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
        instance.release(shape, held_s)
        self.free_vcpus += shape.vcpus
        if not instance.jobs:
            self._start_idle_timer(instance)
        self.on_capacity()

    # --------------------------------------------------------------------- scale-in
    def _start_idle_timer(self, instance: Instance) -> None:
        instance.idle_token += 1
        token = instance.idle_token
        self.env.call_later(self.scale_down_delay_s, lambda _event: self._idle_expired(instance, token))

    def _idle_expired(self, instance: Instance, token: int) -> None:
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
        name = instance.itype.name
        self._live_types[name] -= 1
        if not self._live_types[name]:
            del self._live_types[name]
            self._fits_live.clear()
        instance.end_reason = reason
        self.total_vcpus -= instance.itype.vcpus
        self.env.recorder.instances.append(instance.record(now))
        self._record_capacity()
        self.on_capacity()  # headroom under maxvCpus may let waiting jobs scale out

    def _record_capacity(self) -> None:
        ready = self.total_vcpus - sum(i.itype.vcpus for i in self.booting)
        self.env.recorder.capacity.append((self.env.now, self.name, self.total_vcpus, ready))
