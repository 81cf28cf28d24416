"""Unit tests of the compute package's pieces, each number computed by hand.

Catalog figures used (us-east-1 on-demand, Spot Advisor bucket): c5.large 2 vCPU $0.085 (0),
c5.xlarge 4 vCPU $0.17 (0), c5.2xlarge 8 vCPU $0.34 (1), c5.4xlarge 16 vCPU $0.68 (4),
m5.large 2 vCPU $0.096 (3), m5.xlarge 4 vCPU $0.192 (4). Jobs of 2 vCPUs and 1024 MiB fit once
per 2 vCPUs (memory never binds), so c5.large/xlarge/2xlarge all cost $0.085 per job-hour.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import base_scenario, job, run

from batchsim.catalog import load_catalog
from batchsim.engine.compute import EngineLinks, InstanceState, build_ce
from batchsim.engine.compute.allocation import STRATEGIES, options_for
from batchsim.engine.compute.fargate import task_type
from batchsim.engine.compute.reclaims import reclaim
from batchsim.engine.compute.shortages import Shortages
from batchsim.engine.compute.spot import PriceSeries, SpotInterruption, SpotMarket
from batchsim.engine.env import BatchEnv
from batchsim.scenario.schema import (
    CapacityShortage,
    ComputeResources,
    Scenario,
    SimulationSettings,
    SpotSettings,
)
from batchsim.scenario.shapes import Shape

CATALOG = load_catalog()
SHAPE = Shape(2, 1024.0)
SETTINGS = SimulationSettings()


def plan(strategy, names, jobs, budget, overshoot=None, blocked=()):
    """Return the type names ``strategy`` launches for ``jobs`` jobs of SHAPE among ``names``."""
    types = [CATALOG.get(n) for n in names]
    options = options_for(
        types, SHAPE, lambda t: SETTINGS.allocatable_mib(t.memory_mib), _on_demand
    )
    entry = STRATEGIES[strategy]
    over = entry.on_demand_overshoot if overshoot is None else overshoot
    picked = entry.plan(options, jobs, budget, over, lambda t: t.name in blocked)
    return [t.name for t in picked]


def _on_demand(itype) -> float:
    return itype.on_demand_price_per_hour


C5 = ["c5.large", "c5.xlarge", "c5.2xlarge", "m5.large"]


# ----------------------------------------------------------------------------- allocation plans
def test_best_fit_launches_its_one_cheapest_type_within_max_vcpus():
    # Cheapest instance is c5.large ($0.085): one job each, 5 jobs → 5 of them (10 ≤ 16 vCPUs).
    assert plan("BEST_FIT", C5, 5, 16) == ["c5.large"] * 5
    # 6 vCPUs of budget hold 3 c5.large; on-demand BEST_FIT never exceeds maxvCpus.
    assert plan("BEST_FIT", C5, 5, 6) == ["c5.large"] * 3
    # With overshoot (a Spot CE), 7 vCPUs allow 3 and one over the limit.
    assert plan("BEST_FIT", C5, 5, 7, overshoot=True) == ["c5.large"] * 4


def test_best_fit_progressive_fills_the_largest_type_of_the_cheapest_tier():
    # Tier at $0.085/job: c5.large (1 job), c5.xlarge (2), c5.2xlarge (4); m5.large ($0.096) is
    # not in it. 5 jobs: c5.2xlarge takes 4 (8 of 16 vCPUs left), then c5.large takes the last.
    assert plan("BEST_FIT_PROGRESSIVE", C5, 5, 16) == ["c5.2xlarge", "c5.large"]
    # 6 vCPUs: c5.2xlarge does not fit; c5.xlarge takes 2 (2 vCPUs left), c5.large 1, budget 0.
    assert plan("BEST_FIT_PROGRESSIVE", C5, 5, 6) == ["c5.xlarge", "c5.large"]


def test_best_fit_progressive_overshoots_by_the_smallest_type_only_when_allowed():
    assert plan("BEST_FIT_PROGRESSIVE", C5, 5, 1) == ["c5.large"]
    assert plan("BEST_FIT_PROGRESSIVE", C5, 5, 1, overshoot=False) == []


def test_spot_strategies_keep_the_lowest_advisor_buckets():
    names = ["m5.large", "c5.4xlarge", "m5.xlarge"]  # buckets 3, 4, 4
    # Capacity optimized: bucket 3 only → m5.large, although c5.4xlarge is cheaper per job.
    assert plan("SPOT_CAPACITY_OPTIMIZED", names, 1, 32) == ["m5.large"]
    # Price-capacity optimized: buckets 3 and 4, then price per job served. Eight jobs fill a
    # c5.4xlarge at $0.68/8 = $0.085/job (m5.large, m5.xlarge: $0.096/job) ...
    assert plan("SPOT_PRICE_CAPACITY_OPTIMIZED", names, 8, 32) == ["c5.4xlarge"]
    assert plan("BEST_FIT_PROGRESSIVE", names, 8, 32) == ["c5.4xlarge"]
    # ... but one job would pay all $0.68 of it: m5.large at $0.096 serves it.
    assert plan("SPOT_PRICE_CAPACITY_OPTIMIZED", names, 1, 32) == ["m5.large"]
    assert plan("BEST_FIT_PROGRESSIVE", names, 1, 32) == ["m5.large"]


def test_progressive_sizes_the_type_to_the_waiting_jobs():
    # 1 vCPU / 3,900 MiB jobs on c5 (allocatable = GiB × 1024 × 0.975 − 32 MiB): a c5.large
    # (3,961.6 MiB) holds 1 at $0.085; a c5.24xlarge (191,660.8 MiB) holds 49 at $4.08, i.e.
    # $0.0833 a job when full, 2 % cheaper. Ranked by price per job served, one waiting job
    # gets a c5.large ($0.085 < $4.08); 49 get the c5.24xlarge; 51 get a c5.24xlarge, then the
    # last two a c5.xlarge (7,955.2 MiB: 2 jobs for $0.17, $0.085 each, vs $4.08 / 2).
    shape = Shape(1, 3900.0)
    c5 = CATALOG.resolve(["c5"])
    options = options_for(c5, shape, lambda t: SETTINGS.allocatable_mib(t.memory_mib), _on_demand)
    progressive = STRATEGIES["BEST_FIT_PROGRESSIVE"].plan

    def names(jobs: int) -> list[str]:
        return [t.name for t in progressive(options, jobs, 1000, True, lambda t: False)]

    assert names(1) == ["c5.large"]
    assert names(49) == ["c5.24xlarge"]
    assert names(51) == ["c5.24xlarge", "c5.xlarge"]


def test_a_blocked_type_stalls_best_fit_and_moves_best_fit_progressive_on():
    # BEST_FIT waits for its one best type; progressive moves on to the cheapest type left for
    # one job: m5.large at $0.096 (c5.xlarge would cost $0.17 for it).
    assert plan("BEST_FIT", C5, 1, 16, blocked={"c5.large"}) == []
    assert plan("BEST_FIT_PROGRESSIVE", C5, 1, 16, blocked={"c5.large"}) == ["m5.large"]
    # Two jobs fill a c5.xlarge at $0.085 each, cheaper than two m5.large.
    assert plan("BEST_FIT_PROGRESSIVE", C5, 2, 16, blocked={"c5.large"}) == ["c5.xlarge"]


# ----------------------------------------------------------------------------- scale-in
def test_an_idle_instance_terminates_exactly_scale_down_delay_after_its_last_job():
    # Boot 100 s → the job starts at 100, pulls 20 s, starts 5 s, runs 600 s: ends at 725.
    result = run(base_scenario())
    (instance,) = result.instances.to_dict("records")
    assert (instance["terminatedAt"], instance["endReason"]) == (725 + 300, "scale_in")


def test_a_job_taken_while_idle_postpones_scale_in_to_the_delay_after_its_release():
    # The second job comes at 800 (idle since 725): starts at once (image cached) + 5 s, runs
    # 600 s, ends at 1405; the timer armed at 725 fires busy at 1025, the instance goes at 1705.
    data = base_scenario()
    data["workload"].append(
        {
            "name": "b",
            "at": "800s",
            "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "work"},
        }
    )
    result = run(data)
    assert job(result, "b-1")["stoppedAt"] == 1405
    (instance,) = result.instances.to_dict("records")
    assert (instance["terminatedAt"], instance["endReason"]) == (1405 + 300, "scale_in")


def test_scale_in_never_goes_below_min_vcpus():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"]["minvCpus"] = 2
    result = run(data)
    (instance,) = result.instances.to_dict("records")
    assert instance["endReason"] == "end_of_run"  # still there at the end, not scaled in


# ----------------------------------------------------------------------------- Spot billing
def spot_market(series) -> tuple[SpotMarket, object]:
    resources = ComputeResources(type="SPOT", maxvCpus=16, instanceTypes=["c5.large"])
    settings = SpotSettings(instanceTypes={"c5.large": {"priceSeries": series}})
    itype = CATALOG.get("c5.large")
    return SpotMarket(resources, settings, [itype], np.random.default_rng(0)), itype


SERIES = [{"at": 0, "price": 0.10}, {"at": 1800, "price": 0.20}, {"at": 5400, "price": 0.05}]


def test_the_price_series_integral_sums_each_step():
    series = PriceSeries([(0.0, 0.10), (1800.0, 0.20), (5400.0, 0.05)])
    # 900 s at 0.10 + 3600 s at 0.20 + 900 s at 0.05 = 90 + 720 + 45 USD·s/h.
    assert series.integral(900.0, 6300.0) == pytest.approx(855.0)
    assert series.at(1799.0) == 0.10 and series.at(1800.0) == 0.20


def test_a_spot_bill_follows_the_price_steps_in_dollars():
    market, itype = spot_market(SERIES)
    assert market.cost_usd(itype, 900.0, 6300.0, reclaimed=False) == pytest.approx(855 / 3600)
    # Reclaimed by EC2 after 5400 s (more than the first hour): billed like any other.
    assert market.cost_usd(itype, 900.0, 6300.0, reclaimed=True) == pytest.approx(855 / 3600)


def test_a_spot_bill_is_free_when_reclaimed_in_the_first_hour_and_has_a_minute_minimum():
    market, itype = spot_market(SERIES)
    assert market.cost_usd(itype, 0.0, 3599.0, reclaimed=True) == 0.0
    # Stopped by us after 30 s: billed 60 s at $0.10/h.
    assert market.cost_usd(itype, 0.0, 30.0, reclaimed=False) == pytest.approx(6 / 3600)


# ----------------------------------------------------------------------------- shortages
class FixedDraw:
    """A stand-in RNG whose random() always returns ``value``."""

    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


def test_a_sure_shortage_blocks_its_type_until_the_window_ends():
    window = CapacityShortage(instanceTypes=["c5.large"], start=100, end=500)
    shortages = Shortages([window], FixedDraw(0.99))
    large, xlarge = CATALOG.get("c5.large"), CATALOG.get("c5.xlarge")
    assert shortages.refusal(large, 50.0) is None  # before the window
    assert shortages.refusal(xlarge, 200.0) is None  # another type
    assert shortages.refusal(large, 200.0) == 500.0
    assert shortages.blocked(large, 499.0) and not shortages.blocked(large, 500.0)
    assert not shortages.blocked(xlarge, 200.0)


def test_a_likely_shortage_blocks_for_retry_after_when_the_draw_refuses():
    window = CapacityShortage(start=0, end=1000, probability=0.5, retryAfter=60)
    large = CATALOG.get("c5.large")
    assert Shortages([window], FixedDraw(0.7)).refusal(large, 100.0) is None
    refused = Shortages([window], FixedDraw(0.3))
    assert refused.refusal(large, 100.0) == 160.0
    assert refused.refusal(large, 990.0) == 1000.0  # never past the window's end


def test_a_shortage_leaves_jobs_runnable_with_aws_reason_then_they_run():
    # c5.large is short until 1000 s: the job waits with AWS's reason, then boots (100 s).
    data = base_scenario()
    data["computeEnvironments"][0]["simulation"]["capacityShortages"] = [{"end": "1000s"}]
    result = run(data)
    row = job(result, "a-1")
    assert row["startingAt"] == 1100
    (instance,) = result.instances.to_dict("records")
    assert instance["launchedAt"] == 1000


# ----------------------------------------------------------------------------- wiring
class Listener:
    """Records pass requests; wants an idle instance only if ``wanted``."""

    def __init__(self):
        self.passes = 0
        self.wanted = False

    def request_pass(self) -> None:
        self.passes += 1

    def is_wanted(self, ce, instance) -> bool:
        return self.wanted


class Events:
    """Records the jobs told of notices and interrupted."""

    def __init__(self):
        self.interrupted = []

    def on_notice(self, job, now, reclaim_at) -> None:
        pass

    def interrupt(self, job, cause, now) -> None:
        self.interrupted.append((job, now))


def test_links_attach_once_and_are_unusable_before():
    links = EngineLinks()
    with pytest.raises(AttributeError):
        links.request_pass()
    listener = Listener()
    links.attach(listener, Events())
    links.request_pass()
    assert listener.passes == 1
    with pytest.raises(RuntimeError, match="already attached"):
        links.attach(listener, Events())


def fargate_spot_ce():
    data = base_scenario()
    data["computeEnvironments"][0] = {
        "computeEnvironmentName": "fg",
        "computeResources": {"type": "FARGATE_SPOT", "maxvCpus": 4},
        "simulation": {"bootTime": "5s"},
    }
    scenario = Scenario.model_validate(data)
    env = BatchEnv(1)
    links = EngineLinks()
    listener = Listener()
    links.attach(listener, Events())
    ce = build_ce(env, scenario.computeEnvironments[0], CATALOG, scenario.simulation, links)
    return env, ce, listener


def test_a_fargate_task_reclaimed_while_provisioning_never_takes_a_job():
    env, ce, listener = fargate_spot_ce()
    shape = Shape(1, 2048.0)
    task = ce.launch(task_type(shape))
    cause = SpotInterruption(task.instance_id, 0.0, 0.0)
    reclaim(ce, task, cause)  # at t=0, during its 5 s of provisioning
    env.run_until(10.0)
    assert task.state == InstanceState.TERMINATED and task.ready_at is None
    assert ce.find_instance(shape) is None
    assert ce.total_vcpus == 0 and listener.passes >= 1


def test_a_fargate_task_that_finds_no_job_stops_when_it_is_ready():
    env, ce, _ = fargate_spot_ce()
    task = ce.launch(task_type(Shape(1, 2048.0)))
    env.run_until(6.0)
    assert (task.ready_at, task.terminated_at, task.end_reason) == (5.0, 5.0, "scale_in")


def test_a_fargate_task_ready_takes_one_job_of_its_size_only():
    env, ce, listener = fargate_spot_ce()
    listener.wanted = True  # a job waits for it: the task stays
    shape = Shape(1, 2048.0)
    task = ce.launch(task_type(shape))
    env.run_until(6.0)
    assert ce.find_instance(Shape(1, 4096.0)) is None
    assert ce.find_instance(shape) is task
    ce.allocate(task, shape)
    assert ce.find_instance(shape) is None
    ce.release(task, shape, 1.0)
    assert task.state == InstanceState.TERMINATED and task.end_reason == "task_stopped"
    assert math.isclose(ce.free_vcpus, 0.0)
