"""Scaling out: room promised on booting hosts, launches planned by the provisioning strategy,
the minvCpus floor, and launches EC2 refuses (capacity shortages).

Functions of a :class:`~batchsim.engine.compute.environment.ComputeEnvironment` ``ce``; the
ones the scheduler calls (:func:`begin_round`, :func:`absorb`) are its methods.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from batchsim.scenario.shapes import Shape

if TYPE_CHECKING:
    from collections.abc import Iterable

    from batchsim.catalog import InstanceType
    from batchsim.engine.compute.allocation import TypeOption
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.compute.instance import Instance

MIN_FILL_SHAPE = Shape(1, 0.0, 0)  # minvCpus is counted in vCPUs only


def never(_itype: InstanceType) -> bool:
    """No type is blocked (a plan that ignores capacity shortages)."""
    return False


def begin_round(ce: ComputeEnvironment) -> None:
    """Forget room promised on booting instances; the scheduler re-promises it each round."""
    for instance in ce.booting:
        instance.reserved_vcpus = 0.0
        instance.reserved_mib = 0.0
        instance.reserved_gpus = 0
    for instance in ce.ready_promised:
        instance.reserved_vcpus = 0.0
        instance.reserved_mib = 0.0
        instance.reserved_gpus = 0
    ce.ready_promised.clear()
    ce.idle_nodes_promised.clear()


def promise_ready(ce: ComputeEnvironment, shape: Shape, jobs: int) -> int:
    """Promise room on ready instances to up to ``jobs`` jobs of ``shape`` that the pass did
    not try (they wait behind a strict-FIFO head); return how many it takes. Without it each
    pass would launch for them again while the room they were given stands idle."""
    return _promise_on(ce, ce.ready, shape, jobs, ce.ready_promised)


def absorb(ce: ComputeEnvironment, shape: Shape, jobs: int) -> int:
    """Take on up to ``jobs`` RUNNABLE jobs of ``shape``: promise booting room, then launch.

    Returns how many jobs this CE will serve; the rest may go to the next CE in order. For
    a multi-node parallel job, ``jobs`` counts nodes, and empty ready instances of the node
    type (waiting for the rest of their gang) count first.
    """
    left = jobs
    if shape.nodes:
        left -= _promise_idle_nodes(ce, shape, left)
    left -= _promise_on(ce, ce.booting, shape, left)
    if left > 0 and ce.can_grow():
        left -= launch_for(ce, shape, left)
    return jobs - max(left, 0)


def fill_floor(ce: ComputeEnvironment, boot_s: float | None = None, refill: bool = True) -> None:
    """Launch what the minvCpus floor lacks (at t=0, after a reclaim, when capacity returns)."""
    missing = ce.min_vcpus - ce.total_vcpus
    if missing > 0 and ce.enabled and ce.provisioning.fills_floor:
        # NOTE: EC2 hosts hold whole vCPUs, so the missing count is whole already.
        launch_for(ce, MIN_FILL_SHAPE, math.ceil(missing), boot_s, refill)


def launch_for(
    ce: ComputeEnvironment,
    shape: Shape,
    jobs: int,
    boot_s: float | None = None,
    refill: bool = False,
) -> int:
    """Launch what the provisioning plans for ``jobs`` jobs of ``shape``; return how many the
    new hosts take. A launch EC2 refuses (a capacity shortage) blocks its type, and the plan
    is made again without it."""
    taken = 0
    promise = ce.promise
    while taken < jobs and ce.can_grow():
        budget = ce.max_vcpus - ce.total_vcpus
        options = _launchable_now(ce, ce.options(shape))
        plan = ce.provisioning.plan(options, jobs - taken, budget, ce.blocked)
        refused = False
        for itype in plan:
            refused = not _capacity_available(ce, itype)
            if refused:
                break
            taken += promise(ce.launch(itype, boot_s, refill), shape, jobs - taken)
            if taken >= jobs:
                break
        if not refused:
            break
    return taken


def _launchable_now(ce: ComputeEnvironment, options: list[TypeOption]) -> list[TypeOption]:
    """Drop the types that may not be launched now (Spot: over the cap), and wake up when
    prices change."""
    if not ce.provisioning.capped:
        return options
    now = ce.calendar.now
    launchable = [o for o in options if ce.provisioning.launchable(o.itype, now)]
    if len(launchable) < len(options):
        _wake_when_prices_change(ce)
    return launchable


def _wake_when_prices_change(ce: ComputeEnvironment) -> None:
    """Ask for a pass at the next price change: a type over the cap now may fall under it."""
    later = [t for t in ce.price_changes if t > ce.calendar.now]
    if later and ce.price_wake_at != later[0]:
        ce.price_wake_at = later[0]
        ce.calendar.call_later_daemon(later[0] - ce.calendar.now, ce.capacity_back, wakeup=True)


def _capacity_available(ce: ComputeEnvironment, itype: InstanceType) -> bool:
    """Return whether EC2 launches ``itype`` now; if not, its type stays blocked for a while
    and the CE looks again when it is not."""
    if not ce.shortages:
        return True
    now = ce.calendar.now
    until = ce.shortages.refusal(itype, now)
    if until is None:
        return True
    ce.version += 1
    if until < math.inf:
        ce.calendar.call_later_daemon(until - now, ce.capacity_back, wakeup=True)
    return False


def _promise_idle_nodes(ce: ComputeEnvironment, shape: Shape, nodes: int) -> int:
    """Promise up to ``nodes`` empty ready instances of the node type (once per round)."""
    name = shape.node_type
    assert name is not None  # NOTE: only multi-node shapes promise nodes
    idle = len(ce.empty_nodes(name))
    promised = min(max(idle - ce.idle_nodes_promised.get(name, 0), 0), nodes)
    ce.idle_nodes_promised[name] = ce.idle_nodes_promised.get(name, 0) + promised
    return promised


def _promise_on(
    ce: ComputeEnvironment,
    instances: Iterable[Instance],
    shape: Shape,
    jobs: int,
    promised_on: list[Instance] | None = None,
) -> int:
    """Promise room on ``instances`` (booting or ready) of ``ce`` to up to ``jobs`` jobs of
    ``shape``; return how many they take. Those that took some are added to ``promised_on``
    when given (room on ready instances is forgotten through it at the next round)."""
    promised = 0
    node_type = shape.node_type
    one_job = ce.tasks is not None
    promise = ce.promise
    for instance in instances:
        if promised >= jobs:
            break
        if node_type is not None and instance.itype.name != node_type:
            continue  # NOTE: MNP nodes are of one type
        if one_job and instance.jobs:
            continue  # NOTE: a Fargate task with its job takes no other
        taken = promise(instance, shape, jobs - promised)
        if taken and promised_on is not None:
            promised_on.append(instance)
        promised += taken
    return promised


def promise_room(instance: Instance, shape: Shape, jobs: int) -> int:
    """Promise room for up to ``jobs`` jobs of ``shape`` on a booting ``instance`` (packed by
    vCPUs, memory and GPUs); return how many it takes."""
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
