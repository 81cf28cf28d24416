"""Property: when capacity is scarce, queue priority decides who starts.

Several FIFO queues of random priorities share one fixed pool (an UNMANAGED compute environment)
and receive random streams of jobs of one shape. Whenever a job starts, no job of a queue with a
strictly higher priority may be waiting RUNNABLE at that instant (it would have been placed
first), and within a queue jobs start in the order they became RUNNABLE.
"""

from __future__ import annotations

from conftest import base_scenario, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@st.composite
def contended_scenarios(draw) -> dict:
    """Two or three queues on a pool of 1–3 c5.large, Poisson streams of 2-vCPU jobs."""
    data = base_scenario()
    count = draw(st.integers(1, 3))
    data["computeEnvironments"] = [
        {
            "computeEnvironmentName": "pool",
            "type": "UNMANAGED",
            "simulation": {"instances": [{"instanceType": "c5.large", "count": count}]},
        }
    ]
    data["simulation"] = {"schedulerInterval": draw(st.sampled_from([0, 30]))}
    data["jobDefinitions"][0]["simulation"]["runtime"] = {"exponential": {"mean": "10m"}}
    queues = draw(st.integers(2, 3))
    data["jobQueues"] = [
        {
            "jobQueueName": f"q{i}",
            "priority": draw(st.integers(0, 3)),
            "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "pool"}],
        }
        for i in range(queues)
    ]
    data["workload"] = [
        {
            "name": f"w{i}",
            "submit": {"jobName": f"w{i}", "jobQueue": f"q{i}", "jobDefinition": "work"},
            "arrivals": {
                "poisson": {"rate": f"{draw(st.integers(2, 20))}/h"},
                "count": draw(st.integers(5, 40)),
            },
        }
        for i in range(queues)
    ]
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=contended_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_a_higher_priority_queue_never_waits_while_a_lower_one_starts(data, seed):
    result = run(data, seed=seed)
    jobs = result.jobs
    priority = {q["jobQueueName"]: q["priority"] for q in data["jobQueues"]}
    jobs = jobs.assign(priority=jobs["jobQueue"].map(priority))
    waiting_until = jobs["startingAt"].fillna(float("inf"))
    for row in jobs.itertuples():
        started = row.startingAt
        higher_waiting = jobs[
            (jobs["priority"] > row.priority)
            & (jobs["runnableAt"] <= started)
            & (waiting_until > started)
        ]
        assert higher_waiting.empty, (
            f"{row.jobId} (priority {row.priority}) started at {started} while "
            f"{higher_waiting['jobId'].tolist()} of a higher priority waited"
        )
    for _, queue_jobs in jobs.groupby("jobQueue"):
        by_arrival = queue_jobs.sort_values(["runnableAt", "jobId"], kind="stable")
        starts = by_arrival["startingAt"].tolist()
        assert starts == sorted(starts), "FIFO order broken within a queue"
