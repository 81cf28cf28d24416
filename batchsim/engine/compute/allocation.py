"""Allocation strategies: which instance types a managed compute environment launches.

Given ``n`` RUNNABLE jobs of one shape and the vCPUs still allowed under maxvCpus, a strategy
returns the instance types to launch:

* ``BEST_FIT`` — the one cheapest type that fits a job, as many as needed, never above maxvCpus.
* ``BEST_FIT_PROGRESSIVE`` — types ranked by price per job served (price ÷ the jobs it would
  take from those waiting: jobs per instance, at most the jobs left), one instance at a time,
  moving on to further types as the budget shrinks; it may exceed maxvCpus by one instance, as
  AWS allows. Sizing to the demand keeps one small job off a 96-vCPU instance whose memory
  packs 2 % cheaper per job when full. Within the cheapest tier (1e-6 relative tolerance) it
  takes the largest type that the remaining jobs fill, else the smallest that holds them all.
* ``SPOT_CAPACITY_OPTIMIZED`` — only the pools least likely to be interrupted (the lowest Spot
  Advisor bucket among the fitting types), then as BEST_FIT_PROGRESSIVE among them.
* ``SPOT_PRICE_CAPACITY_OPTIMIZED`` — the pools of the two lowest buckets present (capacity
  first), then the cheapest of those (price second), as BEST_FIT_PROGRESSIVE among them.
* ``BEST_FIT_PROGRESSIVE_ORDERED`` (on-demand) — the types of the earliest ``instanceTypes``
  entry that has a fitting type within the budget, then as BEST_FIT_PROGRESSIVE among them: AWS
  tries the list in order, sizes a family by BEST_FIT_PROGRESSIVE logic and skips types that
  cannot hold the jobs (an exact type keeps its own position, see ``Catalog.priorities``).
* ``SPOT_CAPACITY_OPTIMIZED_PRIORITIZED`` — capacity first (the lowest bucket present, as
  SPOT_CAPACITY_OPTIMIZED), then the list order among those pools, as AWS honours the priority
  "when Spot capacity pools are similarly available".

Prices are the compute environment's: on-demand, or the Spot price at the time of the launch.
Every strategy is one entry of :data:`STRATEGIES`; adding one touches this module and its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from batchsim.catalog.spot import UNKNOWN_BUCKET
from batchsim.scenario.shapes import Shape

if TYPE_CHECKING:
    from batchsim.catalog import InstanceType

TIER_TOLERANCE = 1e-6


def jobs_per_instance(itype: InstanceType, shape: Shape, allocatable_mib: float) -> int:
    """Return how many jobs of ``shape`` fit on an empty instance of ``itype``."""
    by_vcpu = int(itype.vcpus // shape.vcpus)  # NOTE: EC2 shapes hold whole vCPUs
    by_mem = int(allocatable_mib // shape.memory_mib) if shape.memory_mib > 0 else by_vcpu
    by_gpu = itype.gpus // shape.gpus if shape.gpus else by_vcpu
    return max(0, min(by_vcpu, by_mem, by_gpu))


class TypeOption:
    """An instance type with what it offers for one job shape; ``rank`` is the position of the
    ``instanceTypes`` entry that lists it (the ordered strategies try lower ranks first)."""

    __slots__ = ("itype", "per_instance", "price", "price_per_job", "rank")

    def __init__(
        self, itype: InstanceType, per_instance: int, price_per_hour: float, rank: int = 0
    ):
        self.itype = itype
        self.per_instance = per_instance
        self.price = price_per_hour
        self.price_per_job = price_per_hour / per_instance
        self.rank = rank


def options_for(
    types: Sequence[InstanceType],
    shape: Shape,
    allocatable,
    price: Callable[[InstanceType], float],
    ranks: Mapping[str, int] | None = None,
) -> list[TypeOption]:
    """Return the types that fit at least one job of ``shape``, cheapest per job first, each
    with its rank in ``ranks`` (type name → position in ``instanceTypes``; default 0)."""
    options = []
    ranks = ranks or {}
    for itype in types:
        per = jobs_per_instance(itype, shape, allocatable(itype))
        if per > 0:
            options.append(TypeOption(itype, per, price(itype), ranks.get(itype.name, 0)))
    options.sort(key=lambda o: (o.price_per_job, o.itype.vcpus, o.itype.name))
    return options


def in_lowest_buckets(options: list[TypeOption], buckets: int) -> list[TypeOption]:
    """Keep the options in the ``buckets`` lowest Spot Advisor buckets present (the pools a
    Spot strategy draws from), in their order."""
    if not options:
        return options
    kept = sorted({_bucket(o) for o in options})[:buckets]
    return [o for o in options if _bucket(o) in kept]


def _bucket(option: TypeOption) -> int:
    bucket = option.itype.interruption_bucket
    return UNKNOWN_BUCKET if bucket is None else bucket


def plan_best_fit(
    options: list[TypeOption], jobs: int, budget_vcpus: float, overshoot: bool = False
) -> list[InstanceType]:
    """BEST_FIT: the cheapest single type that fits, as many as cover ``jobs`` within the budget
    (plus one instance over it with ``overshoot``, as AWS allows for BEST_FIT on Spot)."""
    if not options:
        return []
    best = min(options, key=lambda o: (o.price, -o.per_instance, o.itype.name))
    wanted = math.ceil(jobs / best.per_instance)
    allowed = int(budget_vcpus // best.itype.vcpus)
    if overshoot and budget_vcpus - allowed * best.itype.vcpus > 0:
        allowed += 1
    return [best.itype] * max(0, min(wanted, allowed))


def every_option(options: list[TypeOption]) -> list[TypeOption]:
    """Narrow nothing: every fitting type competes on price (the unordered strategies)."""
    return options


def first_listed(options: list[TypeOption]) -> list[TypeOption]:
    """Keep the options of the earliest ``instanceTypes`` entry present (the ordered
    strategies: a later entry is used only when no earlier one fits, within the budget)."""
    first = min((o.rank for o in options), default=0)
    return [o for o in options if o.rank == first]


Narrow = Callable[[list[TypeOption]], list[TypeOption]]


def plan_progressive(
    options: list[TypeOption],
    jobs: int,
    budget_vcpus: float,
    overshoot: bool = True,
    narrow: Narrow = every_option,
) -> list[InstanceType]:
    """BEST_FIT_PROGRESSIVE: cheapest per job served first, more types as the budget requires;
    ``narrow`` picks the candidates of each launch among those within the budget."""
    launches: list[InstanceType] = []
    while jobs > 0 and budget_vcpus > 0:
        pool = narrow([o for o in options if o.itype.vcpus <= budget_vcpus])
        if not pool:
            if not overshoot or not options:
                break
            # One instance over maxvCpus at most, and the smallest that takes a job.
            choice = min(narrow(options), key=lambda o: (o.itype.vcpus, o.price))
            launches.append(choice.itype)
            break
        choice = _pick_in_cheapest_tier(pool, jobs)
        launches.append(choice.itype)
        jobs -= choice.per_instance
        budget_vcpus -= choice.itype.vcpus
    return launches


def price_per_job_served(option: TypeOption, jobs: int) -> float:
    """Return what an instance of ``option`` costs per hour for each of the ``jobs`` waiting
    jobs it would take: its price over ``min(jobs per instance, jobs)``.

    This sizes a launch to the demand: room the queue cannot fill is paid for but serves no
    job, so a 96-vCPU instance for one waiting job costs its whole price for that one job.
    """
    return option.price / min(option.per_instance, jobs)


def _pick_in_cheapest_tier(pool: list[TypeOption], jobs: int) -> TypeOption:
    costs = [price_per_job_served(o, jobs) for o in pool]
    cheapest = min(costs)
    tier = [
        o for o, cost in zip(pool, costs, strict=True) if cost <= cheapest * (1 + TIER_TOLERANCE)
    ]
    filled = [o for o in tier if o.per_instance <= jobs]
    if filled:
        return max(filled, key=lambda o: (o.per_instance, -o.itype.vcpus))
    return min(tier, key=lambda o: (o.per_instance, o.itype.vcpus))


Blocked = Callable[["InstanceType"], bool]


def _best_fit(
    options: list[TypeOption], jobs: int, budget: float, overshoot: bool, blocked: Blocked
) -> list[InstanceType]:
    # AWS: BEST_FIT waits for its one best type rather than move to another.
    plan = plan_best_fit(options, jobs, budget, overshoot)
    return [] if plan and blocked(plan[0]) else plan


def _progressive(
    options: list[TypeOption], jobs: int, budget: float, overshoot: bool, blocked: Blocked
) -> list[InstanceType]:
    return plan_progressive([o for o in options if not blocked(o.itype)], jobs, budget, overshoot)


def _ordered(
    options: list[TypeOption], jobs: int, budget: float, overshoot: bool, blocked: Blocked
) -> list[InstanceType]:
    usable = [o for o in options if not blocked(o.itype)]
    return plan_progressive(usable, jobs, budget, overshoot, first_listed)


def _spot_pools(
    buckets: int,
    narrow: Narrow,
    options: list[TypeOption],
    jobs: int,
    budget: float,
    overshoot: bool,
    blocked: Blocked,
) -> list[InstanceType]:
    kept = in_lowest_buckets([o for o in options if not blocked(o.itype)], buckets)
    return plan_progressive(kept, jobs, budget, overshoot, narrow)


class Strategy(NamedTuple):
    """An allocation strategy: ``plan(options, jobs, budget_vcpus, overshoot, blocked)`` returns
    the types to launch, leaving out those ``blocked(itype)`` says EC2 cannot launch now;
    ``on_demand_overshoot`` says whether an on-demand CE may exceed maxvCpus by one instance
    with it (a Spot CE always may)."""

    plan: Callable[[list[TypeOption], int, float, bool, Blocked], list[InstanceType]]
    on_demand_overshoot: bool


#: allocationStrategy → Strategy.
STRATEGIES: dict[str, Strategy] = {
    "BEST_FIT": Strategy(_best_fit, on_demand_overshoot=False),
    "BEST_FIT_PROGRESSIVE": Strategy(_progressive, on_demand_overshoot=True),
    "BEST_FIT_PROGRESSIVE_ORDERED": Strategy(_ordered, on_demand_overshoot=True),
    "SPOT_CAPACITY_OPTIMIZED": Strategy(
        partial(_spot_pools, 1, every_option), on_demand_overshoot=True
    ),
    "SPOT_PRICE_CAPACITY_OPTIMIZED": Strategy(
        partial(_spot_pools, 2, every_option), on_demand_overshoot=True
    ),
    "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED": Strategy(
        partial(_spot_pools, 1, first_listed), on_demand_overshoot=True
    ),
}
