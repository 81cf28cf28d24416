"""``batchsim plan``: the decision rule by hand, the search against the exhaustive grid on the
same seeds, and the command's exit statuses."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from scipy import stats

from batchsim.cli import ExitStatus, main
from batchsim.sweeps.decide import decided, fewest_runs, lower_bound, meets
from batchsim.sweeps.load import spec_from_options
from batchsim.sweeps.plan import Plan
from batchsim.sweeps.runner import OK, InProcess, Outcome
from batchsim.sweeps.spec import Targets

SCENARIO = """
name: tiny-plan
simulation: {seed: 1}
computeEnvironments:
  - computeEnvironmentName: ce
    computeResources: {type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, minvCpus: 0,
                       maxvCpus: 16, instanceTypes: [c5]}
    simulation: {bootTime: 60s, scaleDownDelay: 60s}
jobQueues:
  - {jobQueueName: q, priority: 1, computeEnvironmentOrder: [{order: 1, computeEnvironment: ce}]}
jobDefinitions:
  - jobDefinitionName: d
    containerProperties:
      image: busybox
      resourceRequirements: [{type: VCPU, value: "4"}, {type: MEMORY, value: "4096"}]
    simulation: {runtime: {exponential: {mean: 10m}}}
workload:
  - name: batch
    submit: {jobName: j, jobQueue: q, jobDefinition: d, arrayProperties: {size: 24}}
    at: 0s
"""
VARY = ["maxvCpus=4..64*2", "instanceTypes=[c5],[m5]"]


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(SCENARIO)
    return path


# ----------------------------------------------------------------------------- the rule
def test_lower_bound_is_the_exact_one_sided_binomial_bound():
    # k = n: the bound solves p^n = 0.05, so p = 0.05^(1/n).
    assert lower_bound(29, 29) == pytest.approx(0.05 ** (1 / 29), rel=1e-9)
    # otherwise the 5 % quantile of Beta(k, n − k + 1).
    assert lower_bound(27, 30) == pytest.approx(stats.beta.ppf(0.05, 27, 4), rel=1e-9)
    assert lower_bound(0, 5) == 0.0


def test_meets_needs_the_lower_bound_at_the_confidence():
    assert 0.05 ** (1 / 29) >= 0.9 > 0.05 ** (1 / 28)
    assert meets(29, 29, 0.9) and not meets(28, 28, 0.9) and not meets(29, 30, 0.9)
    assert fewest_runs(0.9) == 29 and fewest_runs(0.5) == 5  # 0.05^(1/5) = 0.549, ^(1/4) = 0.473


@pytest.mark.parametrize("n", [1, 2, 9, 29, 30, 100, 2999])
def test_n_of_n_bound_is_the_closed_form_within_scipys_root_search(n):
    exact = (1 - 0.95) ** (1 / n)  # p^n = 1 - 0.95: the one-sided exact bound when all meet
    assert lower_bound(n, n) == exact
    scipys = stats.binomtest(n, n, alternative="greater").proportion_ci(0.95, method="exact").low
    assert exact == pytest.approx(scipys, abs=1e-12)


def test_the_options_check_and_the_decisions_agree_at_a_boundary():
    at = lower_bound(9, 9)  # a confidence exactly at 9 of 9's bound, and the next float above
    above = float(np.nextafter(at, 1.0))
    assert fewest_runs(at) == 9 and meets(9, 9, at)
    assert fewest_runs(above) == 10 and not meets(9, 9, above) and meets(10, 10, above)


def test_decided_curtails_only_when_the_remaining_runs_cannot_change_the_answer():
    assert decided(1, 2, 30, 0.9) is False  # one miss: 29 of 30 at best, bound 85.1 %
    assert decided(2, 2, 30, 0.9) is None
    assert decided(30, 30, 30, 0.9) is True
    # confidence 0.5 over 10 runs needs beta.ppf(0.05, k, 11 − k) ≥ 0.5: 0.493 at k = 8,
    # 0.606 at k = 9
    assert [meets(k, 10, 0.5) for k in (8, 9)] == [False, True]
    assert decided(9, 9, 10, 0.5) is True  # decided before the last run
    assert decided(5, 7, 10, 0.5) is False  # 8 of 10 at best
    assert decided(6, 7, 10, 0.5) is None


# ----------------------------------------------------------------------------- the search
def _spec(scenario, deadline_s: float, replications: int = 8):
    return spec_from_options(scenario, VARY, replications, 1, (), Targets(deadline_s=deadline_s))


@pytest.mark.parametrize("deadline_s", [3600.0, 5400.0, 9000.0])
def test_plan_finds_the_exhaustive_grids_answer_with_fewer_runs(scenario, deadline_s):
    spec = _spec(scenario, deadline_s)
    plan = Plan(spec, 0.6).search(InProcess())
    grid = Plan(spec, 0.6).exhaustive(InProcess())
    assert grid.runs == 5 * 2 * 8
    assert plan.runs < grid.runs
    assert plan.answer is not None and grid.answer is not None
    assert plan.answer.index == grid.answer.index
    assert plan.answer.mean_cost() == grid.answer.mean_cost()
    # every decision the plan made or assumed is the grid's
    for index in range(len(grid.points)):
        assert plan.status(index).endswith("meets") == grid.decisions[index], index
    # the plan's runs are the grid's runs (common seeds): the same rows
    for point in plan.points:
        assert point.rows == grid.points[point.index].rows[: len(point.rows)]


def test_no_configuration_meets_an_impossible_deadline(scenario):
    plan = Plan(_spec(scenario, 60.0), 0.6).search(InProcess())
    assert plan.answer is None
    assert all(plan.status(i) in ("fails", "assumed fails") for i in range(len(plan.points)))


# ----------------------------------------------------------------------------- the command
def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def _plan_args(scenario, tmp_path, *extra: str) -> list[str]:
    vary = [arg for v in VARY for arg in ("--vary", v)]
    return ["plan", str(scenario), *vary, "--confidence", "0.6", "--replications-max", "8",
            "--workers", "1", "-o", str(tmp_path / "out"), *extra]  # fmt: skip


def test_cli_found_writes_plan_json_and_runs_csv(scenario, tmp_path):
    status, out, err = _cli(*_plan_args(scenario, tmp_path, "--deadline", "90m"))
    assert status == ExitStatus.SUCCESS, err
    data = json.loads((tmp_path / "out" / "plan.json").read_text())
    grid = Plan(_spec(scenario, 5400.0), 0.6).exhaustive(InProcess())
    assert data["answer"]["point"] == grid.answer.index
    assert data["runs_made"] < data["grid_runs"] == 80
    lines = (tmp_path / "out" / "runs.csv").read_text().splitlines()
    assert len(lines) == 1 + data["runs_made"]
    assert lines[0].startswith("point,replication,seed,")
    assert "answer:" in out and f"{data['runs_made']} runs" in out


def test_cli_none_meets_exits_1_and_says_so(scenario, tmp_path):
    status, out, err = _cli(*_plan_args(scenario, tmp_path, "--deadline", "1m"))
    assert status == ExitStatus.RUN_FAILED
    assert "no configuration meets every target" in out
    assert "no configuration meets every target with confidence 0.6" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "a plan needs a target"),
        (("--deadline", "1h", "--replications-max", "4"), "use at least 6 replications"),
        (("--deadline", "1h", "--vary", "maxvCpus=8..4*2"), "ends below its start"),
        (("--deadline", "soon"), "--deadline"),
        (("--deadline", "1h", "--confidence", "1.5"), "strictly between 0 and 1"),
    ],
)
def test_cli_bad_input_exits_2(scenario, tmp_path, capsys, extra, message):
    argv = _plan_args(scenario, tmp_path)
    if "--vary" in extra:  # replace the swept maxvCpus by a bad range
        argv[argv.index("maxvCpus=4..64*2")] = extra[-1]
        extra = extra[:2]
    status, _, err = _cli(*argv, *extra)
    err += capsys.readouterr().err  # argparse writes its own errors to sys.stderr
    assert status == ExitStatus.INVALID_SCENARIO
    assert message in err
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- a dip in P(meet)
class DipExecutor:
    """A test double of the executor: no simulation, each run's makespan and cost looked up by
    (maxvCpus, seed) in ``LATE`` and ``COST``: P(meet) dips at 16 vCPUs (late on seed 1, so its
    coarse pass fails), while 8 vCPUs meets on every seed and costs least."""

    DEADLINE_S = 3600.0
    COST = {4: 9.0, 8: 10.0, 16: 11.0, 32: 12.0, 64: 14.0}

    def __init__(self, late: dict[int, set[int]]):
        self.late = late  # maxvCpus → the seeds on which it misses the deadline

    def map_unordered(self, function, tasks):
        for index, task in enumerate(tasks):
            vcpus = int(task.overrides[-1].rsplit("=", 1)[1])
            late = task.seed in self.late.get(vcpus, ())
            makespan_s = 2 * self.DEADLINE_S if late else self.DEADLINE_S / 2
            yield index, Outcome(OK, summary=_summary(makespan_s, self.COST[vcpus]))


def _summary(makespan_s: float, cost_usd: float) -> dict:
    scalars = ("cost_per_succeeded_job_usd", "first_start_s", "utilization", "idle_cost_usd",
               "vcpu_hours_paid", "vcpu_hours_used", "jobs_total", "jobs_unfinished",
               "attempts_total", "interruptions", "wasted_vcpu_hours", "instances_launched",
               "end_of_run_s")  # fmt: skip
    return {name: 0 for name in scalars} | {
        "makespan_s": makespan_s, "total_cost_usd": cost_usd, "queue_wait_s": {},
        "jobs_by_status": {"SUCCEEDED": 1, "FAILED": 0},
    }  # fmt: skip


EVERY_SEED = set(range(1, 9))


@pytest.mark.parametrize(
    ("late", "runs"),
    [
        # 4 always late; 16 late on seed 1 (its coarse pass fails, so 8 below it is assumed to
        # fail); 32 meets at $12: without the downward check the plan answered 32
        ({4: EVERY_SEED, 16: {1}}, 2 * 5 + 6 + 6),
        # and when 32 and 64 fail too (on seeds 3 and 4), the plan answered "none meets"
        ({4: EVERY_SEED, 16: {1}, 32: {3}, 64: {4}}, 2 * 5 + 2 + 2 + 6),
    ],
)
def test_a_dip_in_p_meet_does_not_hide_a_cheaper_configuration(scenario, late, runs):
    spec = spec_from_options(
        scenario, ["maxvCpus=4..64*2"], 8, 1, (), Targets(deadline_s=DipExecutor.DEADLINE_S)
    )
    plan = Plan(spec, 0.6).search(DipExecutor(late))
    grid = Plan(spec, 0.6).exhaustive(DipExecutor(late))
    assert grid.answer is not None and grid.answer.point[0][1] == 8
    assert plan.answer is not None and plan.answer.index == grid.answer.index == 1
    assert plan.answer.mean_cost() == grid.answer.mean_cost() == 10.0
    assert plan.status(1) == "meets" and plan.status(2) == "fails"
    assert plan.runs == runs < grid.runs == 5 * 8
