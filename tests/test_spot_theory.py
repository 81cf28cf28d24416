"""Spot interruptions against theory, over replications: expected completion time with and
without checkpoints, and the expected number of interruptions per job.

A job of work W cut into n = ⌈W/τ⌉ pieces (a checkpoint of cost C after each but the last) under
exponential reclaims of mean M, with restart cost R on every retried attempt, finishes in

    E[T] = (n − 1)·S(τ + C) + S(W − (n − 1)τ),   S(L) = M·e^{R/M}·(e^{L/M} − 1),

from its first RUNNING to its success, when relaunch and container start take no time; without
checkpoints (one piece, R = 0) E[T] = M·(e^{W/M} − 1). Reclaims form a Poisson process of rate 1/M
along the time a job is exposed, so the expected number of interruptions per job is E[T]/M.

The scenarios below make the simulator match those assumptions: boot, image pull and container
start take 0 s and the scheduler runs on every change, so a reclaimed job is RUNNING again on a
new instance at the same instant; each 2-vCPU job fills a c5.large, so one reclaim hits one job.
Every assertion compares with a formula computed here, never with a pinned seeded number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import base_scenario, run

ATTEMPTS = 10  # retryStrategy.attempts (AWS's maximum)
JOBS_PER_RUN = 2000
SEEDS = (11, 22, 33, 44)  # 4 × 2000 independent jobs per case
Z = 4.0  # |mean − theory| < Z·SE


# ----------------------------------------------------------------------------- formulas
@dataclass(frozen=True)
class Checkpointing:
    """Work W cut every τ, checkpoint write C, restart R (seconds); τ = W, C = R = 0: none."""

    work_s: float
    interval_s: float
    cost_s: float = 0.0
    restart_s: float = 0.0

    def piece_lengths(self) -> list[float]:
        """Uninterrupted time of each piece: τ + C for all but the last, the rest of W last."""
        n = math.ceil(self.work_s / self.interval_s - 1e-9)
        last = self.work_s - (n - 1) * self.interval_s
        return [self.interval_s + self.cost_s] * (n - 1) + [last]


def piece_time_s(length_s: float, restart_s: float, mean_s: float) -> float:
    """S(L) = M·e^{R/M}·(e^{L/M} − 1): expected time to get through one piece of length L that
    starts without a restart, when each interruption costs R before the piece starts over."""
    return mean_s * math.exp(restart_s / mean_s) * math.expm1(length_s / mean_s)


def expected_completion_s(plan: Checkpointing, mean_s: float) -> float:
    """E[T] = Σ over pieces of S(piece)."""
    return sum(piece_time_s(L, plan.restart_s, mean_s) for L in plan.piece_lengths())


def piece_failures(length_s: float, restart_s: float, mean_s: float, most: int) -> np.ndarray:
    """P(k interruptions while getting through one piece), k = 0 … most − 1.

    The first try lasts L: it fails with p₀ = 1 − e^{−L/M}; every retry lasts R + L and fails with
    q = 1 − e^{−(R+L)/M}; so P(0) = 1 − p₀ and P(k ≥ 1) = p₀·q^{k−1}·(1 − q).
    """
    p0 = -math.expm1(-length_s / mean_s)
    q = -math.expm1(-(restart_s + length_s) / mean_s)
    k = np.arange(most)
    return np.where(k == 0, 1 - p0, p0 * q ** np.maximum(k - 1, 0) * (1 - q))


def probability_of_running_out(plan: Checkpointing, mean_s: float, attempts: int) -> float:
    """P(a job is interrupted ≥ ``attempts`` times before its work is done), i.e. it FAILS.

    Pieces are independent (reclaims are memoryless), so the count is the convolution of the
    pieces' counts, truncated at ``attempts``.
    """
    total = np.zeros(attempts)
    total[0] = 1.0
    for length in plan.piece_lengths():
        total = np.convolve(total, piece_failures(length, plan.restart_s, mean_s, attempts))
        total = total[:attempts]
    return 1.0 - float(total.sum())


def test_formulas_agree_with_each_other():
    # One piece without restart: S(W) = M·(e^{W/M} − 1), the no-checkpoint formula.
    plain = Checkpointing(3600.0, 3600.0)
    assert expected_completion_s(plain, 7200.0) == pytest.approx(7200.0 * math.expm1(0.5))
    # Running out of attempts without checkpoints: every attempt fails w.p. 1 − e^{−W/M}.
    assert probability_of_running_out(plain, 7200.0, ATTEMPTS) == pytest.approx(
        (-math.expm1(-0.5)) ** ATTEMPTS
    )
    # Mean of the per-piece failure law: p₀/(1 − q) = e^{R/M}(e^{L/M} − 1) = S(L)/M.
    law = piece_failures(630.0, 60.0, 3600.0, 400)
    assert (law * np.arange(400)).sum() == pytest.approx(piece_time_s(630.0, 60.0, 3600.0) / 3600)
    # Pieces: 50 min every 15 min → 3 full pieces with their write, then 5 min.
    assert Checkpointing(3000.0, 900.0, 45.0).piece_lengths() == [945.0, 945.0, 945.0, 300.0]


# ----------------------------------------------------------------------------- simulation
def spot_scenario(plan: Checkpointing, mean_s: float, jobs: int) -> dict:
    """``jobs`` 2-vCPU jobs of work W at t=0 on a SPOT CE of c5.large with mean lifetime M;
    nothing takes time but the work, the checkpoints and the restarts."""
    data = base_scenario()
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(type="SPOT", maxvCpus=2 * jobs)
    ce["simulation"] = {
        "bootTime": "0s",
        "scaleDownDelay": "0s",
        "spot": {"meanTimeToInterruption": mean_s},
    }
    definition = data["jobDefinitions"][0]
    definition["simulation"] = {"runtime": plan.work_s, "startTime": "0s", "imagePullTime": "0s"}
    if plan.interval_s < plan.work_s:
        definition["simulation"]["checkpoint"] = {
            "interval": plan.interval_s,
            "cost": plan.cost_s,
            "restartCost": plan.restart_s,
        }
    definition["retryStrategy"] = {"attempts": ATTEMPTS}
    data["workload"][0]["count"] = jobs
    return data


@dataclass(frozen=True)
class Sample:
    """Per successful job: completion time T (s), interruptions, and wasted vCPU-hours."""

    completion_s: np.ndarray
    interruptions: np.ndarray
    wasted_vcpu_h: np.ndarray
    failed: int


def assert_setup_matches_the_formula(result) -> None:
    """The run honours the formula's assumptions: no time between a reclaim and the next
    RUNNING, every lifetime starts when a job is placed, one reclaim ends one job."""
    attempts, instances = result.attempts, result.instances.set_index("instanceId")
    assert (attempts["runnableAt"] == attempts["startingAt"]).all()
    assert (attempts["startingAt"] == attempts["startedAt"]).all()
    assert (result.jobs["createdAt"] == 0).all()
    assert (attempts.loc[attempts["attempt"] == 1, "startedAt"] == 0).all()
    # Lifetimes are drawn at launch; with boot 0 that is when the first attempt lands there.
    first = attempts.groupby("instanceId")["startingAt"].min()
    assert (instances.loc[first.index, "launchedAt"] == first).all()
    assert (instances["readyAt"] == instances["launchedAt"]).all()
    # A reclaim ends exactly one attempt, at the instance's end.
    cut = attempts[attempts["outcome"] == "spot_interrupted"]
    assert cut["instanceId"].is_unique
    assert (cut["stoppedAt"].to_numpy() == instances.loc[cut["instanceId"], "terminatedAt"]).all()
    assert (instances.loc[cut["instanceId"], "endReason"] == "spot_interrupted").all()


def simulate(plan: Checkpointing, mean_s: float) -> Sample:
    """Run every seed and pool the jobs."""
    completion, interruptions, wasted, failed = [], [], [], 0
    for seed in SEEDS:
        result = run(spot_scenario(plan, mean_s, JOBS_PER_RUN), seed=seed)
        assert_setup_matches_the_formula(result)
        attempts = result.attempts
        done = result.jobs.loc[result.jobs["status"] == "SUCCEEDED", "jobId"]
        failed += JOBS_PER_RUN - len(done)
        mine = attempts[attempts["jobId"].isin(done)].groupby("jobId")
        first_running = mine["startedAt"].min()
        success = (
            attempts[attempts["outcome"] == "succeeded"].set_index("jobId")["stoppedAt"]
        ).reindex(first_running.index)
        completion.append((success - first_running).to_numpy(float))
        cut = mine["outcome"].agg(lambda o: int((o == "spot_interrupted").sum()))
        interruptions.append(cut.to_numpy(float))
        wasted.append(mine["wastedVcpuHours"].sum().to_numpy(float))
    return Sample(
        np.concatenate(completion), np.concatenate(interruptions), np.concatenate(wasted), failed
    )


def assert_close(values: np.ndarray, theory: float, rel_bound: float) -> float:
    """|mean − theory| < Z·SE; also the Z·SE band itself is under ``rel_bound`` of theory
    (the tolerance the test achieves). Returns the mean."""
    mean = float(values.mean())
    se = float(values.std(ddof=1)) / math.sqrt(len(values))
    assert abs(mean - theory) < Z * se, f"mean {mean:.6g} vs theory {theory:.6g} (SE {se:.3g})"
    assert Z * se < rel_bound * theory, f"band {Z * se:.3g} too wide for theory {theory:.6g}"
    return mean


@dataclass(frozen=True)
class Case:
    """A job and a Spot market; ``rel_time``/``rel_count``: bounds on the relative tolerance
    (4·SE over theory) of the two means, so a smaller sample cannot silently weaken the test."""

    name: str
    plan: Checkpointing
    mean_s: float
    rel_time: float
    rel_count: float


HOUR = 3600.0
# Measured with 8000 jobs per case, 4·SE relative to theory is about 1.8 % (a), 0.5 % (b) and
# 0.8 % (c) of E[T], and 7 %, 4.6 % and 5 % of the interruptions per job; the bounds below add
# about a third of headroom.
CASES = [
    # (a) E[T] = 2h·(e^½ − 1) = 4670.8 s (1.2974 h); e^½ − 1 = 0.6487 interruptions per job.
    Case("no_checkpoint", Checkpointing(HOUR, HOUR), 2 * HOUR, 0.025, 0.09),
    # (b) τ = 10 min, C = 30 s, R = 60 s, W = M = 1 h: E[T] = 5·S(630 s) + S(600 s) = 4164.2 s,
    # 1.1567 interruptions per job.
    Case("checkpoint_10m", Checkpointing(HOUR, 600.0, 30.0, 60.0), HOUR, 0.007, 0.06),
    # (c) W = 50 min, not a multiple of τ = 15 min (pieces 15 + 15 + 15 + 5 min), C = 45 s,
    # R = 90 s, M = 1 h: E[T] = 3·S(945 s) + S(300 s) = 3644.7 s, 1.0124 interruptions per job.
    Case("checkpoint_uneven", Checkpointing(3000.0, 900.0, 45.0, 90.0), HOUR, 0.011, 0.065),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.name)
def case(request) -> tuple[Case, Sample]:
    """Each case simulated once per module (4 seeds × 2000 jobs)."""
    return request.param, simulate(request.param.plan, request.param.mean_s)


def test_running_out_of_attempts_is_negligible(case):
    spec, sample = case
    # (a) (1 − e^{−½})¹⁰ = 8.9e-5; (b) 2.3e-5; (c) 4.0e-5.
    p_fail = probability_of_running_out(spec.plan, spec.mean_s, ATTEMPTS)
    assert p_fail < 1e-4
    # Failed jobs are dropped (conditioning on success); with under one expected in 8000 that
    # moves the means by far less than one SE. The count itself is about Poisson(p·jobs).
    expected = p_fail * JOBS_PER_RUN * len(SEEDS)
    assert sample.failed <= expected + 6 * math.sqrt(max(expected, 1.0)), (sample.failed, expected)


def test_mean_completion_time_matches_theory(case):
    spec, sample = case
    theory = expected_completion_s(spec.plan, spec.mean_s)
    assert_close(sample.completion_s, theory, spec.rel_time)
    # Never faster than the work plus its checkpoint writes.
    assert sample.completion_s.min() >= sum(spec.plan.piece_lengths()) - 1e-6


def test_mean_interruptions_per_job_matches_theory(case):
    spec, sample = case
    plan, m = spec.plan, spec.mean_s
    # Per piece: p₀ + p₀·q/(1 − q) = e^{R/M}(e^{L/M} − 1); in all: E[T]/M (no checkpoint: e^{W/M} − 1).
    theory = sum(math.exp(plan.restart_s / m) * math.expm1(L / m) for L in plan.piece_lengths())
    assert theory == pytest.approx(expected_completion_s(plan, m) / m)
    assert_close(sample.interruptions, theory, spec.rel_count)


def test_wasted_work_is_the_time_lost_to_reclaims(case):
    spec, sample = case
    # T = the pieces (work and writes) + restarts + work lost; each job holds 2 vCPUs. Without
    # checkpoints nothing else is lost: wasted = 2·(T − W)/3600, job by job. With them, restarts
    # and cut writes are lost time too, but not wasted work: 0 ≤ wasted ≤ 2·(T − pieces)/3600.
    lost_h = 2 * (sample.completion_s - sum(spec.plan.piece_lengths())) / HOUR
    if spec.plan.interval_s >= spec.plan.work_s:
        np.testing.assert_allclose(sample.wasted_vcpu_h, lost_h, rtol=1e-9, atol=1e-9)
    else:
        assert (sample.wasted_vcpu_h >= 0).all()
        assert (sample.wasted_vcpu_h <= lost_h + 1e-9).all()
        assert sample.wasted_vcpu_h.sum() < lost_h.sum()  # restarts took some of the time


# ----------------------------------------------------------------------------- summary columns
def busy_spot_scenario(checkpoint: dict | None) -> dict:
    """Short lifetimes with boot, pull and start delays: some attempts are cut while STARTING."""
    data = base_scenario()
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(type="SPOT", maxvCpus=16)
    ce["simulation"] = {
        "bootTime": "100s",
        "scaleDownDelay": "60s",
        "spot": {"meanTimeToInterruption": "10m"},
    }
    definition = data["jobDefinitions"][0]
    definition["simulation"] = {"runtime": "900s", "startTime": "30s", "imagePullTime": "60s"}
    if checkpoint is not None:
        definition["simulation"]["checkpoint"] = checkpoint
    definition["retryStrategy"] = {"attempts": 10}
    data["workload"][0]["count"] = 40
    return data


@pytest.mark.parametrize(
    "checkpoint",
    [None, {"interval": "200s", "cost": "10s", "restartCost": "20s", "onNotice": True}],
    ids=["no_checkpoint", "checkpoint_on_notice"],
)
def test_summary_counts_interruptions_and_wasted_work(checkpoint):
    result = run(busy_spot_scenario(checkpoint), seed=5)
    attempts = result.attempts
    cut = attempts[attempts["outcome"] == "spot_interrupted"]
    assert len(cut) > 10  # the scenario does exercise reclaims
    assert result.summary["interruptions"] == len(cut)
    assert result.summary["wasted_vcpu_hours"] == pytest.approx(
        math.fsum(attempts["wastedVcpuHours"]), rel=1e-12, abs=1e-12
    )
    assert (attempts.loc[attempts["outcome"] != "spot_interrupted", "wastedVcpuHours"] == 0).all()
    if checkpoint is not None:
        return
    # No checkpoint: all RUNNING time of a cut attempt is lost; cut while STARTING: nothing.
    running = cut[cut["startedAt"].notna()]
    assert len(running) < len(cut)  # some were cut before RUNNING
    assert (cut.loc[cut["startedAt"].isna(), "wastedVcpuHours"] == 0).all()
    held_s = running["stoppedAt"].to_numpy(float) - running["startedAt"].to_numpy(float)
    lost = running["vcpus"].to_numpy(float) * held_s / HOUR
    np.testing.assert_allclose(running["wastedVcpuHours"].to_numpy(float), lost, rtol=1e-12)
    assert result.summary["wasted_vcpu_hours"] == pytest.approx(math.fsum(lost), rel=1e-12)
