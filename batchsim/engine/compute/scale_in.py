"""Scaling in: an instance idle for the scale-down delay terminates, never below minvCpus and
never while a waiting job fits it.

Functions of a :class:`~batchsim.engine.compute.environment.ComputeEnvironment` ``ce``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute.instance import InstanceState

# NOTE: module names for enum members: cheaper than ``InstanceState.X`` per use (attempts.py)
READY = InstanceState.READY


if TYPE_CHECKING:
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.compute.instance import Instance

RECHECK_S = 1.0  # how soon an idle instance kept for a waiting job is looked at again


def idle_delay(ce: ComputeEnvironment, instance: Instance) -> float:
    """Return how long ``instance`` may idle before it scales in: the CE's scale-down delay
    once it has run a job, else the delay of a fresh instance (``minScaleDownDelayMinutes``
    does not apply to new instances that have not run jobs)."""
    return ce.scale_down_delay_s if instance.busy_vcpu_s else ce.fresh_delay_s


def start_idle_timer(ce: ComputeEnvironment, instance: Instance) -> None:
    """``instance`` became empty now: it scales in after the scale-down delay unless a job
    comes first."""
    if not instance.refill:
        instance.idle_since = ce.calendar.now
        # NOTE: one pending timer per instance, re-armed when it fires early (see idle_due),
        # not one timer per release: an instance that takes a job at every release would
        # otherwise add an event per job.
        if instance.idle_timer is None:
            delay = idle_delay(ce, instance)
            if not instance.busy_vcpu_s:
                # NOTE: a fresh instance's timer may still be pending when its first job ends,
                # and must not fire after that release's (shorter) delay: idle_due re-arms.
                delay = min(delay, ce.scale_down_delay_s)
            instance.idle_timer = ce.calendar.call_later(delay, partial(idle_due, ce, instance))
        return
    instance.idle_token += 1
    token = instance.idle_token
    delay, check = (
        idle_delay(ce, instance),
        lambda event: idle_expired(ce, instance, token, event),
    )
    if ce.total_vcpus - instance.itype.vcpus < ce.min_vcpus:
        # NOTE: the floor keeps this refill of a reclaimed instance, so its idle check must
        # not keep a finished run going (reclaims and refills would never run out).
        ce.calendar.call_later_daemon(delay, check)
    else:
        instance.idle_timer = ce.calendar.call_later(delay, check)


def idle_due(ce: ComputeEnvironment, instance: Instance, event) -> None:
    """The idle timer of ``instance`` fired: if it has been empty for the scale-down delay,
    decide on scale-in; if it took a job since, wait for the delay from its latest release."""
    instance.idle_timer = None
    if instance.jobs or instance.state != READY:
        return  # NOTE: busy, or gone; its next release arms a new timer
    now = ce.calendar.now
    due = instance.idle_since + idle_delay(ce, instance)
    if due > now:
        instance.idle_timer = ce.calendar.call_later(due - now, partial(idle_due, ce, instance))
        return
    idle_expired(ce, instance, instance.idle_token, event)


def idle_expired(ce: ComputeEnvironment, instance: Instance, token: int, event=None) -> None:
    """The scale-down delay of ``instance`` is over (``token`` its idle period then)."""
    if instance.idle_timer is event:
        instance.idle_timer = None
    # NOTE: decide after this instant's scheduling pass, which may give the instance a job.
    ce.calendar.after_instant(lambda: scale_in_if_idle(ce, instance, token))


def scale_in_if_idle(ce: ComputeEnvironment, instance: Instance, token: int) -> None:
    """Terminate ``instance`` if it is still idle since ``token``, no waiting job wants it and
    the minvCpus floor lets it go."""
    if instance.idle_token != token or instance.jobs or instance.state != READY:
        return
    if ce.enabled and ce.links.is_wanted(ce, instance):
        # A waiting job fits and the next pass (a later scheduler tick) will place it.
        delay = max(idle_delay(ce, instance), RECHECK_S)
        ce.calendar.call_later(delay, lambda _event: idle_expired(ce, instance, token))
        return
    if ce.total_vcpus - instance.itype.vcpus < ce.min_vcpus:
        return  # NOTE: the minvCpus floor keeps it; scale-in never shrinks an instance.
    ce.terminate(instance, "scale_in")
