"""Spot reclaims of a compute environment's hosts: notices, reclaims and price changes.

Functions of a :class:`~batchsim.engine.compute.environment.ComputeEnvironment` ``ce``; only a
reclaimable provisioning (Spot, Fargate Spot) schedules reclaims, only Spot changes prices.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from batchsim.engine.compute.instance import InstanceState
from batchsim.engine.compute.provisioning import SPOT_INTERRUPTED
from batchsim.engine.compute.scale_out import fill_floor
from batchsim.engine.compute.spot import SpotInterruption

if TYPE_CHECKING:
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.compute.instance import Instance

MIN_LIFETIME_S = 1.0  # a drawn lifetime of 0 would reclaim and refill forever at one instant


def _by_index(job) -> int:
    return job.index


def schedule_reclaim(ce: ComputeEnvironment, instance: Instance, lifetime_s: float) -> None:
    """Schedule the notice and the reclaim of a reclaimable host ``lifetime_s`` from now
    (daemon timers: a pending reclaim never keeps a finished run going)."""
    if lifetime_s == math.inf:
        return
    lifetime_s = max(lifetime_s, MIN_LIFETIME_S)
    calendar = ce.calendar
    reclaim_at = calendar.now + lifetime_s
    notice_at = max(calendar.now, reclaim_at - ce.provisioning.notice_s)
    reason = ce.provisioning.reclaim_reason
    cause = SpotInterruption(instance.instance_id, notice_at, reclaim_at, reason)
    calendar.call_later_daemon(notice_at - calendar.now, lambda _event: notice(ce, instance, cause))
    calendar.call_later_daemon(lifetime_s, lambda _event: reclaim(ce, instance, cause))


def notice(ce: ComputeEnvironment, instance: Instance, cause: SpotInterruption) -> None:
    """The notice of a reclaim arrives: tell the runner about every job on the host."""
    if instance.state == InstanceState.TERMINATED or instance.notice_at is not None:
        return
    instance.notice_at = ce.calendar.now
    assert instance.running is not None  # NOTE: only reclaimable hosts track their jobs
    for job in list(instance.running):
        ce.links.on_notice(job, ce.calendar.now, cause.reclaim_at)


def reclaim(ce: ComputeEnvironment, instance: Instance, cause: SpotInterruption) -> None:
    """EC2 takes the instance back: every attempt on it ends, then the floor is refilled."""
    if instance.state == InstanceState.TERMINATED:
        return
    now = ce.calendar.now
    assert instance.running is not None  # NOTE: only reclaimable hosts track their jobs
    for job in sorted(instance.running, key=_by_index):  # NOTE: a set's order is not stable
        ce.links.interrupt(job, cause, now)
    ce.terminate(instance, SPOT_INTERRUPTED)
    fill_floor(ce)


def on_price_change(ce: ComputeEnvironment) -> None:
    """Re-rank types at the new prices; reclaim hosts whose price passed the cap."""
    ce.option_cache.clear()
    now = ce.calendar.now
    provisioning = ce.provisioning
    for instance in ce.booting + ce.ready:
        if instance.notice_at is None and not provisioning.launchable(instance.itype, now):
            schedule_reclaim(ce, instance, provisioning.notice_s)
    ce.capacity_back()
