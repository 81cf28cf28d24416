"""Properties of dependencies over random job graphs (hypothesis).

Random DAGs of workload entries — plain jobs and arrays, plain, N_TO_N and SEQUENTIAL
dependencies, random failures and retries — on the base scenario. Invariants: no job starts
before everything it depends on has SUCCEEDED; a job whose dependency FAILED fails with
``Dependent Job failed`` and never runs; every job ends SUCCEEDED or FAILED.
"""

from __future__ import annotations

from conftest import base_scenario, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SUBMIT = {"jobQueue": "q", "jobDefinition": "work"}


@st.composite
def graphs(draw) -> dict:
    """A scenario whose workload is a random DAG of entries (each depends only on earlier ones)."""
    entries: list[dict] = []
    for index in range(draw(st.integers(1, 6))):
        size = draw(st.sampled_from([None, None, 2, 3]))
        submit = {**SUBMIT, "jobName": f"e{index}"}
        depends = []
        earlier = entries[:]
        for target in (
            draw(st.lists(st.sampled_from(earlier), max_size=2, unique_by=lambda e: e["name"]))
            if earlier
            else []
        ):
            target_size = target["submit"].get("arrayProperties", {}).get("size")
            kind = draw(st.sampled_from([None, "N_TO_N"])) if size and size == target_size else None
            depends.append({"jobId": target["name"], **({"type": kind} if kind else {})})
        if size and draw(st.booleans()):
            depends.append({"type": "SEQUENTIAL"})
        if depends:
            submit["dependsOn"] = depends
        if size:
            submit["arrayProperties"] = {"size": size}
        runtime = draw(st.sampled_from(["60s", "300s", "900s"]))
        failure = {"probability": draw(st.sampled_from([0.0, 0.0, 0.3, 1.0])), "exitCode": 1}
        entries.append(
            {
                "name": f"e{index}",
                "at": index,
                "submit": submit,
                "runtime": runtime,
                "failure": failure,
            }
        )
    data = base_scenario(workload=entries)
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": draw(st.integers(1, 2))}
    return data


def _depends_on(data: dict, jobs) -> dict[str, list[str]]:
    """jobId -> the job ids it waits for, from the scenario's dependsOn."""
    by_entry = {name: group for name, group in jobs.groupby("workload")}
    waits: dict[str, list[str]] = {}
    for entry in data["workload"]:
        mine = by_entry[entry["name"]]
        children = mine[mine["arrayIndex"].notna()].sort_values("arrayIndex")
        units = children if len(children) else mine
        for position, row in enumerate(units.itertuples()):
            on = []
            for dependency in entry["submit"].get("dependsOn", []):
                if dependency.get("type") == "SEQUENTIAL":
                    if position:
                        on.append(units.iloc[position - 1]["jobId"])
                    continue
                target = by_entry[dependency["jobId"]]
                if dependency.get("type") == "N_TO_N":
                    on.append(target[target["arrayIndex"] == position].iloc[0]["jobId"])
                else:
                    on.append(target[target["arrayParent"].isna()].iloc[0]["jobId"])
            waits[row.jobId] = on
    return waits


@given(data=graphs(), seed=st.integers(0, 3))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_job_starts_before_its_dependencies_succeed(data, seed):
    result = run(data, seed=seed)
    jobs = result.jobs
    assert jobs["status"].isin(("SUCCEEDED", "FAILED")).all()
    by_id = jobs.set_index("jobId")
    first_start = result.attempts.groupby("jobId")["startingAt"].min()
    for job_id, on in _depends_on(data, jobs).items():
        if not on:
            continue
        states = by_id.loc[on, "status"]
        if (states == "SUCCEEDED").all():
            done = by_id.loc[on, "stoppedAt"].max()
            if job_id in first_start:
                assert first_start[job_id] >= done, (job_id, on)
        else:
            # A dependency FAILED: the job never ran, and failed when the first one did.
            assert job_id not in first_start, (job_id, on)
            row = by_id.loc[job_id]
            assert row["status"] == "FAILED" and row["statusReason"] == "Dependent Job failed", (
                job_id
            )
            failed_at = by_id.loc[on][by_id.loc[on, "status"] == "FAILED"]["stoppedAt"].min()
            assert row["stoppedAt"] == failed_at
