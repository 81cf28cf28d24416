"""Theory checks (DESIGN.md §6, level 2): M/M/c against Erlang C, utilisation, Little's law.

A managed CE with minvCpus == maxvCpus is ready at t=0 and never scales; with 1-vCPU jobs that
start at once (no image pull, no container start), Poisson arrivals and exponential runtimes it
is exactly an M/M/c queue whose c servers are the CE's vCPUs. Every assertion compares with the
formula, computed here, never with a pinned seeded number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import base_scenario, run

from batchsim.engine.simulation import run_engine
from batchsim.scenario.schema import Scenario

SERVICE_MEAN_S = 60.0  # mean runtime 1/μ; rates are then written per minute
WARM_UP_SHARE = 0.10  # the first 10 % of arrivals see a system that started empty: dropped


# ----------------------------------------------------------------------------- queueing formulas
def erlang_c(servers: int, offered: float) -> float:
    """Return C(c, a): the probability that an arrival waits in M/M/c with offered load a = λ/μ."""
    assert offered < servers, "unstable queue"
    term, below = 1.0, 0.0  # term = a^k / k!
    for k in range(servers):
        below += term
        term *= offered / (k + 1)
    top = term * servers / (servers - offered)
    return top / (below + top)


def erlang_c_wait_s(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Return the exact mean queue wait Wq = C(c, a) / (cμ − λ) of M/M/c, in seconds."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def test_erlang_c_formula_limits():
    # M/M/1: C = ρ and Wq = ρ / (μ − λ); c = 2: C = 2ρ² / (1 + ρ) (textbook closed forms).
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang_c_wait_s(1, 0.6, 1.0) == pytest.approx(0.6 / 0.4)
    assert erlang_c(2, 1.4) == pytest.approx(2 * 0.7**2 / 1.7)


# ----------------------------------------------------------------------------- M/M/c runs
def mmc_scenario(servers: int, rho: float, jobs: int) -> dict:
    """Return an M/M/c scenario: ``servers`` vCPUs of c5.large, load ``rho``, ``jobs`` arrivals.

    c5.large has 2 vCPUs and 3961.6 MiB allocatable, so 1-vCPU/256-MiB jobs pack by vCPU only.
    """
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        allocationStrategy="BEST_FIT",
        minvCpus=servers,
        maxvCpus=servers,
        instanceTypes=["c5.large"],
    )
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "256"},
    ]
    data["jobDefinitions"][0]["simulation"] = {
        "runtime": {"exponential": {"mean": SERVICE_MEAN_S}},
        "startTime": "0s",
        "imagePullTime": "0s",
    }
    rate_per_minute = rho * servers * 60.0 / SERVICE_MEAN_S
    data["workload"][0]["arrivals"] = {"poisson": {"rate": f"{rate_per_minute}/m"}, "count": jobs}
    return data


@dataclass(frozen=True)
class Replication:
    """Steady-state estimates from one M/M/c run, after the warm-up."""

    wait_mean_s: float
    wait_share: float  # share of arrivals that waited at all
    busy_share: float  # time-average busy servers / c over the observation window
    little_l: float  # time-average number in system over the window
    little_lambda_w: float  # arrivals per second in the window × their mean time in system
    little_lq: float  # time-average RUNNABLE level over the window
    little_lambda_wq: float


def overlap_s(starts: np.ndarray, stops: np.ndarray, t0: float, t1: float) -> float:
    """Return the total length of the intervals [start, stop) inside the window [t0, t1)."""
    return float(np.clip(np.minimum(stops, t1) - np.maximum(starts, t0), 0.0, None).sum())


def little_terms(
    arrive: np.ndarray, leave: np.ndarray, t0: float, t1: float
) -> tuple[float, float]:
    """Return (L, λ·W) over [t0, t1): the time-average level of the intervals [arrive, leave),
    and the arrival rate in the window times the mean sojourn of those arrivals."""
    span = t1 - t0
    inside = (arrive >= t0) & (arrive < t1)
    lam = inside.sum() / span
    return overlap_s(arrive, leave, t0, t1) / span, float(lam * (leave - arrive)[inside].mean())


def replicate(servers: int, rho: float, jobs: int, seed: int) -> Replication:
    """Run one M/M/c replication (records only, no DataFrames) and return its estimates."""
    result = run_engine(Scenario.model_validate(mmc_scenario(servers, rho, jobs)), seed=seed)
    # c vCPUs of c5.large, ready at t=0 and never scaled; one attempt per job.
    attempts = result.attempts
    assert len(result.instances["instanceId"]) == servers // 2
    assert len(attempts["runnableAt"]) == jobs
    assert (result.capacity["time"] == 0.0).all()
    order = np.argsort(attempts["runnableAt"], kind="stable")
    arrive, start, stop = (attempts[f][order] for f in ("runnableAt", "startingAt", "stoppedAt"))
    wait = (start - arrive)[int(jobs * WARM_UP_SHARE) :]
    # Window: from the first kept arrival to the last arrival (the drain after it is not steady).
    t0, t1 = arrive[int(jobs * WARM_UP_SHARE)], arrive[-1]
    little_l, little_lambda_w = little_terms(arrive, stop, t0, t1)
    little_lq, little_lambda_wq = little_terms(arrive, start, t0, t1)
    return Replication(
        wait_mean_s=float(wait.mean()),
        wait_share=float((wait > 0).mean()),
        busy_share=overlap_s(start, stop, t0, t1) / (servers * (t1 - t0)),
        little_l=little_l,
        little_lambda_w=little_lambda_w,
        little_lq=little_lq,
        little_lambda_wq=little_lambda_wq,
    )


@dataclass(frozen=True)
class Case:
    """An M/M/c case and its replication plan."""

    servers: int
    rho: float
    jobs: int  # arrivals per replication
    replications: int

    @property
    def arrival_rate(self) -> float:
        """λ in jobs per second."""
        return self.rho * self.servers / SERVICE_MEAN_S

    @property
    def offered(self) -> float:
        """Offered load a = λ/μ (busy servers on average)."""
        return self.arrival_rate * SERVICE_MEAN_S


# Sizes: the mean wait is the noisy estimate (successive waits are correlated over a busy period).
# Measured, its standard error is about 20/√n of Wq at c=8, ρ=0.8 and 12/√n at c=2, ρ=0.7, with
# n the jobs kept over all replications: these plans give 2.5 % and 1.5 % in ~10 s together.
# A fixed "within 5 %" bound would need 4·SE ≤ 5 %, i.e. n ≈ 2.7 million at c=8 (~25 s).
CASES = {
    "c8_rho0.8": Case(servers=8, rho=0.8, jobs=40_000, replications=20),
    "c2_rho0.7": Case(servers=2, rho=0.7, jobs=20_000, replications=20),
}


@pytest.fixture(scope="module", params=list(CASES))
def mmc(request) -> tuple[Case, list[Replication]]:
    """Run a case's replications once per module (seeds 0, 1, …) and share them across tests."""
    case = CASES[request.param]
    reps = [replicate(case.servers, case.rho, case.jobs, seed) for seed in range(case.replications)]
    return case, reps


def mean_and_se(values: list[float]) -> tuple[float, float]:
    """Return the mean of independent replication estimates and its standard error."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1) / math.sqrt(len(array)))


def assert_matches_theory(
    values: list[float], theory: float, max_relative_se: float, what: str
) -> None:
    """Assert the replications' mean is within 4 standard errors of ``theory``.

    Tolerance: replications are independent, so mean ± 4·SE misses the true value with
    probability below 1e-3 even with 20 replications (Student t, 19 d.f.). A large SE would make
    that bound vacuous, so the SE must also stay below ``max_relative_se`` × theory: together the
    two cap the allowed relative error at 4 × ``max_relative_se``.
    """
    mean, se = mean_and_se(values)
    assert se < max_relative_se * theory, (
        f"{what}: SE {se:.4g} too large for a test (theory {theory:.4g})"
    )
    assert abs(mean - theory) < 4 * se, f"{what}: {mean:.5g} vs theory {theory:.5g} (SE {se:.3g})"


def test_mean_queue_wait_matches_erlang_c(mmc):
    case, reps = mmc
    theory = erlang_c_wait_s(case.servers, case.arrival_rate, 1.0 / SERVICE_MEAN_S)
    # SE ≈ 2.5 % of Wq with these plans, so the bound allows at most 4 × 3.5 % = 14 %.
    assert_matches_theory([r.wait_mean_s for r in reps], theory, 0.035, "Wq")


def test_probability_of_waiting_matches_erlang_c(mmc):
    case, reps = mmc
    theory = erlang_c(case.servers, case.offered)
    # P(wait > 0) is far less noisy (SE ≈ 0.5 % of C): the bound allows at most 4 × 1 % = 4 %.
    assert_matches_theory([r.wait_share for r in reps], theory, 0.01, "P(wait > 0)")


def test_utilisation_matches_rho(mmc):
    case, reps = mmc
    # Time-average busy vCPUs / c over the steady window; SE ≈ 0.3 % of ρ.
    assert_matches_theory([r.busy_share for r in reps], case.rho, 0.01, "busy share")


def test_littles_law_over_steady_window(mmc):
    # Over a window that is not empty at its ends the identity holds up to boundary terms: jobs
    # in the system at t0 count in L but not in λW, jobs still there at t1 the other way round.
    # With ~10 jobs in the system and a window of thousands of sojourns they stay far below 1 %.
    _, reps = mmc
    for r in reps:
        assert r.little_l == pytest.approx(r.little_lambda_w, rel=0.01)
        assert r.little_lq == pytest.approx(r.little_lambda_wq, rel=0.01)


# ----------------------------------------------------------------------------- Little on every run
def step_integral(times: np.ndarray, levels: np.ndarray, end: float) -> float:
    """Return ∫ level dt of a step function holding ``levels[i]`` from ``times[i]`` to the next."""
    if len(times) == 0:
        return 0.0
    edges = np.append(times, max(end, times[-1]))
    return float((levels * np.diff(edges)).sum())


def assert_littles_law(result) -> None:
    """Check Little's law on one run, exactly over [0, end of run].

    Every job is in the system (RUNNABLE, STARTING or RUNNING: nothing here waits in PENDING)
    from createdAt to stoppedAt, or to the end if it never stops. Then the integral of the
    timeline's in-system level equals the sum of sojourns, and the integral of the RUNNABLE level
    equals the sum of queue waits, exactly. When the run starts and ends empty the same identity
    reads L = λ·W with λ = jobs / window and W their mean sojourn (and Lq = λ·Wq).
    """
    end = result.summary["end_of_run_s"]
    timeline, attempts = result.timeline, result.attempts
    jobs = result.jobs[result.jobs["arraySize"].isna()]
    times = timeline["time"].to_numpy(float)
    in_system = timeline[["RUNNABLE", "STARTING", "RUNNING"]].sum(axis=1).to_numpy(float)
    sojourn = jobs["stoppedAt"].astype(float).fillna(end) - jobs["createdAt"]
    waiting = jobs[jobs["status"] == "RUNNABLE"]
    waits = attempts["queueWaitSeconds"].sum() + (end - waiting["runnableAt"]).sum()
    area = step_integral(times, in_system, end)
    queue_area = step_integral(times, timeline["RUNNABLE"].to_numpy(float), end)
    assert area == pytest.approx(sojourn.sum(), rel=1e-9, abs=1e-6)
    assert queue_area == pytest.approx(waits, rel=1e-9, abs=1e-6)
    # The busy-vCPU level integrates to the vCPU-seconds the instances report as used.
    busy = step_integral(times, timeline["vcpusInUse"].to_numpy(float), end)
    assert busy == pytest.approx(result.instances["busyVcpuSeconds"].sum(), rel=1e-9, abs=1e-6)
    stopped = jobs["stoppedAt"].astype(float)
    if len(jobs) and stopped.notna().all() and stopped.max() > jobs["createdAt"].min():
        window = stopped.max() - jobs["createdAt"].min()
        lam = len(jobs) / window
        assert area / window == pytest.approx(lam * sojourn.mean(), rel=1e-9)
        assert queue_area / window == pytest.approx(lam * waits / len(jobs), rel=1e-9)


def scaling_scenario() -> dict:
    """A CE scaling from zero under Poisson arrivals of two shapes, with failures and retries."""
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        maxvCpus=24, instanceTypes=["c5.large", "c5.xlarge", "m5.2xlarge"]
    )
    data["computeEnvironments"][0]["simulation"] = {
        "bootTime": {"uniform": {"low": "60s", "high": "150s"}},
        "scaleDownDelay": "120s",
    }
    data["jobDefinitions"][0]["simulation"]["runtime"] = {"exponential": {"mean": "5m"}}
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 0.2}
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 3}
    wide = {
        "jobDefinitionName": "wide",
        "containerProperties": {
            "image": "img:2",
            "resourceRequirements": [
                {"type": "VCPU", "value": "4"},
                {"type": "MEMORY", "value": "6000"},
            ],
        },
        "simulation": {"runtime": {"gamma": {"mean": "8m", "cv": 0.5}}},
    }
    data["jobDefinitions"].append(wide)
    data["workload"] = [
        {
            "name": "stream",
            "submit": {"jobName": "s", "jobQueue": "q", "jobDefinition": "work"},
            "arrivals": {"poisson": {"rate": "2/m"}, "count": 150},
        },
        {
            "name": "wide",
            "submit": {"jobName": "w", "jobQueue": "q", "jobDefinition": "wide"},
            "arrivals": {"poisson": {"rate": "20/h"}, "count": 30},
        },
        {
            "name": "array",
            "submit": {
                "jobName": "a",
                "jobQueue": "q",
                "jobDefinition": "work",
                "arrayProperties": {"size": 20},
            },
            "at": "30m",
        },
    ]
    return data


def two_queue_scenario() -> dict:
    """Two queues of different priority over a warm CE and a CE scaling from zero."""
    data = scaling_scenario()
    data["computeEnvironments"].append(
        {
            "computeEnvironmentName": "warm",
            "computeResources": {
                "type": "EC2",
                "allocationStrategy": "BEST_FIT",
                "minvCpus": 4,
                "maxvCpus": 4,
                "instanceTypes": ["c5.xlarge"],
            },
        }
    )
    data["jobQueues"].append(
        {
            "jobQueueName": "high",
            "priority": 9,
            "computeEnvironmentOrder": [
                {"order": 1, "computeEnvironment": "warm"},
                {"order": 2, "computeEnvironment": "od"},
            ],
        }
    )
    data["workload"][1]["submit"]["jobQueue"] = "high"
    return data


def stuck_job_scenario() -> dict:
    """A run that does not end empty: one job asks for more memory than any allowed type has."""
    data = scaling_scenario()
    data["jobDefinitions"][1]["containerProperties"]["resourceRequirements"][1]["value"] = "40000"
    return data


def cut_scenario() -> dict:
    """A run cut by stopAt while jobs run and wait (unfinished attempts are closed at the cut)."""
    data = scaling_scenario()
    data["jobDefinitions"][0]["simulation"]["failure"] = None
    data["simulation"] = {"stopAt": "40m"}
    return data


def mmc_small() -> dict:
    """A short fixed-capacity M/M/c run through the full simulate() path."""
    return mmc_scenario(8, 0.8, 2_000)


RUNS = {
    "micro": (base_scenario, 1),
    "mmc": (mmc_small, 3),
    "scaling": (scaling_scenario, 5),
    "two_queues": (two_queue_scenario, 11),
    "stuck_runnable": (stuck_job_scenario, 2),
    "cut_by_stop_at": (cut_scenario, 4),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_littles_law_holds_on_every_run(name):
    build, seed = RUNS[name]
    result = run(build(), seed=seed)
    assert len(result.attempts) > 0
    assert_littles_law(result)
