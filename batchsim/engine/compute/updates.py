"""Infrastructure updates of a compute environment (UpdateComputeEnvironment).

AWS replaces the instances of a compute environment when an update changes ``instanceTypes``,
``allocationStrategy``, ``bidPercentage`` or another infrastructure setting: "new instances are
launched using the updated settings. New jobs are scheduled on the new instances", and the jobs
running on the old ones follow ``updatePolicy``: with ``terminateJobsOnUpdate`` they are
terminated and "might be retried on the updated compute environment", depending on their retry
strategy; otherwise they get ``jobExecutionTimeoutMinutes`` (default 30) to finish.

batchsim, at the update: the new settings apply to every later launch; instances still booting
and idle ones terminate (end reason ``infrastructure_update``); instances with jobs retire (no
new job is placed on them) and terminate when their last job leaves. The jobs left on them when
the policy's time is up (at once with ``terminateJobsOnUpdate``) end as on a Spot reclaim, with
outcome ``host_replaced`` and statusReason ``Host EC2 (instance i-…) terminated.``, and are
retried or fail as their retry strategy says. Retiring instances count towards maxvCpus until
they terminate, so the new instances are launched within what the old ones leave.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from batchsim.engine.compute import reclaims
from batchsim.engine.compute.environment import REPLACED
from batchsim.engine.compute.provisioning import Ec2Provisioning, SpotProvisioning
from batchsim.engine.compute.scale_out import fill_floor
from batchsim.engine.compute.spot import HOST_TERMINATED, SpotInterruption
from batchsim.engine.job import ON_AN_INSTANCE
from batchsim.records import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterable

    from batchsim.catalog import InstanceType
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.job import Job


class NewSettings:
    """What an infrastructure update changes: ``types`` and their ``ranks`` (None: unchanged),
    the allocation ``strategy`` (None: unchanged) and the Spot ``bid_percentage`` (None:
    unchanged)."""

    __slots__ = ("types", "ranks", "strategy", "bid_percentage")

    def __init__(
        self,
        types: list[InstanceType] | None = None,
        ranks: dict[str, int] | None = None,
        strategy: str | None = None,
        bid_percentage: int | None = None,
    ):
        self.types = types
        self.ranks = ranks
        self.strategy = strategy
        self.bid_percentage = bid_percentage


def infrastructure_update(
    ce: ComputeEnvironment,
    settings: NewSettings,
    jobs: Iterable[Job],
    terminate_jobs: bool,
    timeout_s: float,
) -> None:
    """Apply ``settings`` to ``ce`` and replace its instances under the update policy
    (``terminate_jobs``, else ``timeout_s`` seconds for the jobs to finish); ``jobs`` are the
    run's jobs (those on this CE's hosts are found among them)."""
    _apply(ce, settings)
    for instance in list(ce.booting):
        ce.terminate(instance, REPLACED)
    for instance in list(ce.ready):
        if instance.jobs:
            ce.retire(instance)
        else:
            ce.terminate(instance, REPLACED)
    retired = list(ce.retiring)
    if terminate_jobs:
        end_retired(ce, retired, jobs)
    elif retired:
        ce.calendar.call_later(timeout_s, partial(_time_up, ce, retired, jobs))
    ce.update_limits()  # NOTE: refills the floor with the new settings and asks for a pass


def _apply(ce: ComputeEnvironment, settings: NewSettings) -> None:
    """Use the new types, strategy and bid for every later launch."""
    provisioning = ce.provisioning
    assert isinstance(provisioning, Ec2Provisioning)  # NOTE: the loader allows EC2 and SPOT only
    market = provisioning.market if isinstance(provisioning, SpotProvisioning) else None
    if settings.bid_percentage is not None and market is not None:
        market.bid_fraction = settings.bid_percentage / 100.0
    if settings.types is not None:
        types = settings.types
        if market is not None:
            market.add_types(types)
            _schedule_new_price_changes(ce, market.change_times())
            types = [t for t in types if market.ever_launchable(t)]
        ce.types = types
    ranks = settings.ranks if settings.ranks is not None else provisioning.ranks
    provisioning.retarget(settings.strategy or provisioning.strategy_name, ranks)
    ce.option_cache.clear()


def _schedule_new_price_changes(ce: ComputeEnvironment, times: list[float]) -> None:
    """Schedule the price changes of newly priced types (the old ones are scheduled)."""
    known, calendar = set(ce.price_changes), ce.calendar
    for at in times:
        if at not in known and at > calendar.now:
            calendar.call_later_daemon(at - calendar.now, lambda _e: reclaims.on_price_change(ce))
    ce.price_changes = sorted(known | set(times))


def _time_up(
    ce: ComputeEnvironment, retired: list[Instance], jobs: Iterable[Job], _timer=None
) -> None:
    """jobExecutionTimeoutMinutes are over: end what still runs on the replaced instances."""
    end_retired(ce, [i for i in retired if i in ce.retiring], jobs)


def end_retired(ce: ComputeEnvironment, retired: list[Instance], jobs: Iterable[Job]) -> None:
    """End every attempt on the ``retired`` instances now (retried as their retry strategies
    say), then terminate the instances."""
    if not retired:
        return
    now = ce.calendar.now
    hosts = set(retired)
    for job in [j for j in jobs if j.state in ON_AN_INSTANCE and j.instance in hosts]:
        assert job.instance is not None  # NOTE: placed, as its state says
        cause = SpotInterruption(
            job.instance.instance_id, now, now, HOST_TERMINATED, Outcome.HOST_REPLACED
        )
        ce.links.interrupt(job, cause, now)
    for instance in retired:
        if instance in ce.retiring:
            ce.terminate(instance, REPLACED)
    fill_floor(ce)
