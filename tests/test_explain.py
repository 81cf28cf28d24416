"""``batchsim explain``: one job's story, hand-computed, and the ``waits`` records behind it.

The scenario: one SPOT CE ("od") of c5.large (2 vCPUs) with ``maxvCpus`` 2, so one instance at a time;
boot 100 s, image pull 20 s, container start 5 s; every Spot instance is reclaimed 1000 s after
its launch (notice 120 s before). Three jobs submitted at t=0:

- ``a`` (2 vCPUs, 2048 MiB): 1200 s of work, checkpoints every 300 s (10 s each, 20 s to
  restart), two attempts, retried on ``Host EC2*``. Attempt 1: the CE scales out (0 → 100),
  STARTING 100 (pull + start), RUNNING 125, reclaimed at 1000 (notice 880). Attempt 2: the CE
  launches again at 1000, STARTING 1100, RUNNING 1125, then 20 + 600 + 10 s → SUCCEEDED 1755.
- ``b`` (2 vCPUs, 1024 MiB, 100 s): its line waits behind ``maxvCpus`` from 0 until a's
  instance frees at 1755; image cached there, so STARTING 5 s, RUNNING 1760 → 1860.
- ``c`` (as b, ``dependsOn`` a): PENDING until a-1 SUCCEEDED at 1755, then RUNNABLE behind b
  (``maxvCpus``) until 1860, STARTING 5 s, RUNNING 1865 → 1965.
"""

from __future__ import annotations

import json

import pytest
from conftest import REPO, base_scenario, cli, run
from test_spot import spot_scenario

from batchsim.explain import explain, longest_waits, story_text


def scenario() -> dict:
    data = spot_scenario(
        {"lifetime": "1000s"},
        runtime="1200s",
        checkpoint={"interval": "300s", "cost": "10s", "restartCost": "20s"},
    )
    data["computeEnvironments"][0]["computeResources"]["maxvCpus"] = 2
    work = data["jobDefinitions"][0]
    work["retryStrategy"] = {
        "attempts": 2,
        "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "RETRY"}],
    }
    small = {
        "jobDefinitionName": "small",
        "containerProperties": {
            "image": "img:1",
            "resourceRequirements": [
                {"type": "VCPU", "value": "2"},
                {"type": "MEMORY", "value": "1024"},
            ],
        },
        "simulation": {"runtime": "100s", "startTime": "5s", "imagePullTime": "20s"},
    }
    data["jobDefinitions"].append(small)
    data["workload"] += [
        {"name": "b", "submit": {"jobName": "b", "jobQueue": "q", "jobDefinition": "small"}},
        {
            "name": "c",
            "submit": {
                "jobName": "c",
                "jobQueue": "q",
                "jobDefinition": "small",
                "dependsOn": [{"jobId": "a"}],
            },
        },  # fmt: skip
    ]
    return data


@pytest.fixture(scope="module")
def result():
    return run(scenario())


def steps(story) -> list[tuple]:
    return [(s.state, s.start_at, s.length_s, s.cause, s.attempt) for s in story.steps]


def test_waits_are_recorded_only_when_a_line_changes_cause(result):
    rows = [tuple(r) for r in result.waits[["time", "line", "cause"]].itertuples(index=False)]
    assert rows == [
        (0, "2/2048/0/0", "scaling_out"),  # a: the CE launches i-1 for it
        (0, "2/1024/0/0", "max_vcpus"),  # b: the one instance maxvCpus allows is a's
        (1000, "2/2048/0/0", "scaling_out"),  # a retried after the reclaim: i-2 launched
    ]  # a's line empties at 100 and 1100, b's at 1860: forgotten, no record (no interval)
    assert set(result.waits["jobQueue"]) == {"q"}


def test_with_a_scheduler_interval_a_wait_starts_with_the_next_cycle():
    # schedulerInterval 60 s, job submitted at 30 s: the pass at 60 launches an instance
    # (ready at 160), the next cycle at 180 places the job; the emptied line is marked.
    data = base_scenario()
    data["simulation"] = {"schedulerInterval": "60s"}
    data["workload"][0]["at"] = "30s"
    result = run(data)
    rows = [tuple(r) for r in result.waits[["time", "cause"]].itertuples(index=False)]
    assert rows == [(60, "scaling_out"), (180, "none")]
    story = result.explain("a-1")
    assert steps(story)[1:3] == [
        ("RUNNABLE", 30, 30, "scheduler", 1),
        ("RUNNABLE", 60, 120, "scaling_out", 1),
    ]
    assert story.steps[1].text == 'waiting for the scheduler\'s next cycle ("schedulerInterval")'


def test_the_story_of_a_job_reclaimed_by_spot_and_retried(result):
    story = result.explain("a-1")
    assert steps(story) == [
        ("SUBMITTED", 0, 0, "submit_job", None),
        ("RUNNABLE", 0, 100, "scaling_out", 1),
        ("STARTING", 100, 25, "starting", 1),
        ("RUNNING", 125, 875, "running", 1),
        ("attempt ended", 1000, None, "spot_interrupted", 1),
        ("retried", 1000, None, "evaluate_on_exit", 1),
        ("RUNNABLE", 1000, 100, "scaling_out", 2),
        ("STARTING", 1100, 25, "starting", 2),
        ("RUNNING", 1125, 630, "running", 2),
        ("attempt ended", 1755, None, "succeeded", 2),
        ("SUCCEEDED", 1755, None, "ended", None),
    ]
    texts = [s.text for s in story.steps]
    assert (
        "instance i-00000000000000001 (c5.large) launched at 0:00:00, booting 1 min 40 s, ready at 0:01:40"
        in texts[1]
    )
    assert 'pulling image "img:1" (20 s, first on this instance)' in texts[2]
    assert "i-00000000000000001 (c5.large, spot)" in texts[3]
    assert texts[4] == (
        'Spot reclaimed its instance i-00000000000000001 ("EC2 Spot Instance Interruption '
        'Warning" at 0:14:40, reclaimed at 0:16:40): "Host EC2 (instance '
        'i-00000000000000001) terminated."'
    )
    assert texts[5] == (
        'attempt 2 of 2: "evaluateOnExit"[0] (onStatusReason "Host EC2*") matched → RETRY'
    )
    assert "instance i-00000000000000002 (c5.large) launched at 0:16:40" in texts[6]
    assert (story.status, story.exit_code, story.attempts) == ("SUCCEEDED", 0, 2)


def test_the_story_of_a_job_stuck_behind_max_vcpus(result):
    story = result.explain("b")  # a jobName finds its first job
    assert story.job_id == "b-1"
    assert steps(story) == [
        ("SUBMITTED", 0, 0, "submit_job", None),
        ("RUNNABLE", 0, 1755, "max_vcpus", 1),
        ("STARTING", 1755, 5, "starting", 1),
        ("RUNNING", 1760, 100, "running", 1),
        ("attempt ended", 1860, None, "succeeded", 1),
        ("SUCCEEDED", 1860, None, "ended", None),
    ]
    assert story.steps[1].text.startswith('"maxvCpus" reached')
    assert "[at 0:00:00: od: 2 of maxvCpus 2 vCPUs, 1 booting]" in story.steps[1].text
    assert 'image "img:1" already on the instance (no pull)' in story.steps[2].text


def test_the_story_of_a_job_pending_on_a_dependency(result):
    story = explain(result, "c-1")
    assert steps(story)[:3] == [
        ("SUBMITTED", 0, 0, "submit_job", None),
        ("PENDING", 0, 1755, "depends_on", None),
        ("RUNNABLE", 1755, 105, "max_vcpus", 1),
    ]
    assert story.steps[1].text == 'waits on "dependsOn": a-1 (dependsOn), SUCCEEDED at 0:29:15'
    assert steps(story)[-1] == ("SUCCEEDED", 1965, None, "ended", None)


def test_exhausted_attempts_are_told_and_the_job_fails():
    data = scenario()
    data["jobDefinitions"][0]["retryStrategy"]["attempts"] = 1
    story = run(data).explain("a-1")
    assert steps(story)[-2:] == [
        ("not retried", 1000, None, "attempts_exhausted", 1),
        ("FAILED", 1000, None, "ended", None),
    ]
    assert "(1 of 1 made)" in story.steps[-2].text


def test_longest_waits_lists_the_jobs_that_waited_most(result):
    table = longest_waits(result)
    assert table[["jobId", "waitSeconds"]].values.tolist() == [
        ["b-1", 1755.0], ["a-1", 200.0], ["c-1", 105.0],
    ]  # fmt: skip


def test_cli_explains_a_run_folder_as_the_scenario_in_memory(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(scenario()))
    assert cli("run", str(path), "-o", str(tmp_path / "out"), "-q")[0] == 0
    status, from_folder, _ = cli("explain", str(tmp_path / "out"), "--job", "a-1")
    assert status == 0
    assert cli("explain", str(path), "--job", "a-1")[1] == from_folder
    assert from_folder.rstrip("\n") == story_text(run(scenario()).explain("a-1"))
    status, text, _ = cli("explain", str(tmp_path / "out"), "--job", "c-1", "--json")
    assert status == 0 and json.loads(text)["steps"][1]["cause"] == "depends_on"
    status, hints, _ = cli("explain", str(tmp_path / "out"))
    assert status == 0 and hints.splitlines()[1].split()[:3] == ["b-1", "29", "min"]


def test_an_unknown_job_exits_2_naming_close_ones(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(scenario()))
    status, out, err = cli("explain", str(path), "--job", "a-2")
    assert status == 2 and out == ""
    assert "no job 'a-2' in this run" in err and "a-1" in err and "Traceback" not in err
    status, _, err = cli("explain", str(tmp_path), "--job", "a-1")
    assert status == 2 and "not a run folder" in err


@pytest.mark.parametrize("name", ["pattern-sequential", "spot-with-on-demand-fallback"])
def test_every_story_accounts_for_each_second_of_its_jobs_waits(name):
    # The RUNNABLE steps of a story cover exactly the job's RUNNABLE time over its attempts
    # (attempts.csv's queue waits, plus a wait still open at the end), no gap, no overlap.
    from conftest import REPO

    import batchsim

    result = batchsim.simulate(REPO / "scenarios" / f"{name}.yaml")
    waited = longest_waits(result, count=10**6).set_index("jobId")["waitSeconds"]
    for job_id in result.jobs["jobId"][::7]:
        story = result.explain(job_id)
        runnable = [s for s in story.steps if s.state == "RUNNABLE"]
        assert sum(s.length_s for s in runnable) == pytest.approx(waited.get(job_id, 0.0))
        for before, after in zip(runnable, runnable[1:], strict=False):
            if before.attempt == after.attempt:
                assert after.start_at == pytest.approx(before.start_at + before.length_s)


def test_the_readme_and_docs_show_real_output():
    from conftest import REPO

    import batchsim

    quickstart = batchsim.simulate(REPO / "scenarios" / "quickstart.yaml")
    assert story_text(quickstart.explain("adhoc-1")) in (REPO / "README.md").read_text()
    genomics = batchsim.simulate(REPO / "scenarios" / "genomics-array.yaml")
    assert story_text(genomics.explain("align-1:126")) in (REPO / "docs" / "explain.md").read_text()


def test_a_scenario_too_large_for_the_machine_is_refused_before_it_runs():
    status, _, err = cli("explain", str(REPO / "tests/bad_inputs/size-trillion-count.yaml"))
    assert status == 2 and "too large for this machine" in err and "--no-size-check" in err
