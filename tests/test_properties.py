"""Properties over random small scenarios (DESIGN.md §6, level 3), generated with hypothesis.

Each example is a scenario dict built straight from strategies: 1–2 managed compute
environments (on-demand EC2 or SPOT, with short random Spot lifetimes, notices and capacity
shortages), 1–2 queues (FIFO, or fair share under a random scheduling policy), 1–3 job
definitions (some checkpointed, some multi-node parallel) and 1–4 workload entries (jobs at a
time, arrays, Poisson streams, rate and cron schedules, lists of arrival times), at most 64 jobs.
The loader must accept the scenario; one run is checked against every invariant below; a second
run with the same seed must match it.
"""

from __future__ import annotations

import math
import re
import signal
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from conftest import base_scenario, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_theory import assert_littles_law

from batchsim.catalog import load_catalog
from batchsim.scenario.checks import check_scenario
from batchsim.scenario.schema import Scenario

SIZES = ["large", "xlarge", "2xlarge", "4xlarge"]
INSTANCE_TYPES = [f"{family}.{size}" for family in ("c5", "m5") for size in SIZES]
FULL_CATALOG = load_catalog()
CATALOG = {t.name: t for t in FULL_CATALOG.resolve(INSTANCE_TYPES)}
ALLOCATABLE_FACTOR, RESERVED_MIB = 0.975, 32.0  # schema defaults (DESIGN.md §4, packing)
TERMINAL = {"SUCCEEDED", "FAILED"}
EPS = 1e-9
EC2_STRATEGIES = ["BEST_FIT", "BEST_FIT_PROGRESSIVE", "BEST_FIT_PROGRESSIVE_ORDERED"]
SPOT_STRATEGIES = [
    "BEST_FIT",
    "BEST_FIT_PROGRESSIVE",
    "SPOT_CAPACITY_OPTIMIZED",
    "SPOT_PRICE_CAPACITY_OPTIMIZED",
    "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED",
]
ORDERED_STRATEGIES = ("BEST_FIT_PROGRESSIVE_ORDERED", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED")
DEFAULT_NOTICE_S = 120.0
FREE_INTERRUPTION_S = 3600.0  # EC2 bills no Linux Spot instance it reclaims in its first hour
POLICY = "fair"  # the one scheduling policy; queues name it or its ARN
POLICY_ARN = f"arn:aws:batch:us-east-1:123456789012:scheduling-policy/{POLICY}"
SHARES = ["A", "B", "teamx", "teamy"]  # share identifiers of jobs; "team*" weighs the last two
# EventBridge expressions of scheduled entries: (period in s, aligned). A rate fires at 'at' and
# every period after; a cron fires at the UTC minutes it names from 'at' on, here the multiples
# of its period (t=0 is midnight UTC).
SCHEDULES = {
    "rate(5 minutes)": (300, False),
    "rate(10 minutes)": (600, False),
    "rate(1 hour)": (3600, False),
    "cron(0/15 * * * ? *)": (900, True),
    "cron(0 * * * ? *)": (3600, True),
}
# Stormy Spot markets (spot_markets) may live less, on average, than a slow boot: the loader
# rejects that ("no job could ever start"), but the engine must still cope, so it is allowed here.
STORMY_PROBLEM = "no job could ever start"
MULTINODE_NOT_SUPPORTED = "Multi-node parallel jobs run on on-demand EC2"

RUN_WALL_LIMIT_S = 5.0  # a run here takes ~20 ms; far longer means the engine does not stop


# ----------------------------------------------------------------------------- strategies
def durations(low: float, high: float) -> st.SearchStrategy:
    """A duration distribution in seconds between about ``low`` and ``high``."""
    value = st.floats(low, high, allow_nan=False).map(lambda x: round(x, 3))
    return st.one_of(
        value,
        value.map(lambda m: {"exponential": {"mean": max(m, 1.0)}}),
        st.tuples(value, value).map(lambda p: {"uniform": {"low": min(p), "high": max(p)}}),
        value.map(lambda m: {"lognormal": {"median": max(m, 1.0), "p95": 3 * max(m, 1.0)}}),
        value.map(lambda m: {"gamma": {"mean": max(m, 1.0), "cv": 0.7}}),
    )


SPOT_FLEET_ROLE = "arn:aws:iam::123456789012:role/AmazonEC2SpotFleetTaggingRole"


@st.composite
def compute_environments(draw, index: int) -> dict:
    """A managed CE, on-demand EC2 or SPOT, with random capacity bounds, types, strategy, boot
    time and delay; a SPOT CE gets short random lifetimes and notices; either kind may suffer a
    capacity shortage."""
    spot = draw(st.sampled_from([False, True, True]))
    max_vcpus = draw(st.integers(2, 64))
    min_vcpus = draw(st.one_of(st.just(0), st.integers(0, max_vcpus)))
    types = draw(st.lists(st.sampled_from(INSTANCE_TYPES), min_size=1, max_size=4, unique=True))
    ce = {
        "computeEnvironmentName": f"ce{index}",
        "computeResources": {
            "type": "SPOT" if spot else "EC2",
            "allocationStrategy": draw(
                st.sampled_from(SPOT_STRATEGIES if spot else EC2_STRATEGIES)
            ),
            "minvCpus": min_vcpus,
            "maxvCpus": max_vcpus,
            "instanceTypes": types,
        },
        "simulation": {
            "bootTime": draw(durations(0, 240)),
            "scaleDownDelay": draw(st.one_of(st.just(0), st.integers(0, 900))),
            "minvCpusReadyAtStart": draw(st.booleans()),
        },
    }
    if spot:
        ce["simulation"]["spot"] = draw(spot_markets())
        ce["computeResources"]["spotIamFleetRole"] = SPOT_FLEET_ROLE  # AWS: needed with BEST_FIT
    if draw(st.integers(0, 3)) == 0:
        ce["simulation"]["capacityShortages"] = [draw(capacity_shortages(types))]
    return ce


@st.composite
def spot_markets(draw) -> dict:
    """Exponential lifetimes of mean 10 min to 5 h, log-uniform, or a stormy 2–10 min (small runs
    rarely live long enough to see a reclaim otherwise); now and then a fixed or other
    distribution, which makes reclaims tie with other events; a notice of 0 s to 10 min.

    NOTE: other lifetimes start above the longest boot (240 s): instances that are always
    reclaimed before they boot never run a job, and the CE relaunches them forever.
    """
    kind = draw(st.sampled_from(["mean", "mean", "stormy", "lifetime"]))
    if kind == "lifetime":
        market = {"lifetime": draw(durations(300, 3 * 3600))}
    else:
        low, high = (600, 5 * 3600) if kind == "mean" else (120, 600)
        market = {"meanTimeToInterruption": draw(log_uniform(low, high))}
    notice = draw(st.sampled_from([None, None, 0, 30, 120, 600]))
    if notice is not None:
        market["noticeTime"] = notice
    return market


def log_uniform(low: float, high: float) -> st.SearchStrategy:
    """Whole seconds between ``low`` and ``high``, uniform in log scale."""
    return st.floats(math.log(low), math.log(high)).map(lambda x: round(math.exp(x)))


@st.composite
def capacity_shortages(draw, types: list[str]) -> dict:
    """A window in the first 2 h (now and then open-ended), over some or all of the CE's types."""
    start = draw(st.integers(0, 7200))
    shortage = {"start": start, "probability": draw(st.sampled_from([1.0, 1.0, 0.5]))}
    if draw(st.integers(0, 4)) > 0:
        shortage["end"] = start + draw(st.integers(1, 7200))
    if draw(st.booleans()):
        shortage["instanceTypes"] = draw(
            st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True)
        )
    if draw(st.booleans()):
        shortage["retryAfter"] = draw(st.integers(1, 600))
    return shortage


@st.composite
def job_queues(draw, index: int, ce_names: list[str], fair_share: bool = False) -> dict:
    """A queue with a random priority over a random ordered subset of the CEs; with
    ``fair_share`` (a scheduling policy exists) now and then a fair-share queue naming it by
    name or ARN."""
    order = draw(
        st.permutations(ce_names).flatmap(lambda p: st.integers(1, len(p)).map(lambda k: p[:k]))
    )
    queue = {
        "jobQueueName": f"q{index}",
        "priority": draw(st.integers(0, 10)),
        "computeEnvironmentOrder": [
            {"order": i + 1, "computeEnvironment": n} for i, n in enumerate(order)
        ],
    }
    if fair_share and draw(st.booleans()):
        queue["schedulingPolicyArn"] = draw(st.sampled_from([POLICY, POLICY_ARN]))
    return queue


@st.composite
def scheduling_policies(draw) -> dict:
    """A fair-share policy: a decay of 0 (600 s) to 7 days, a compute reservation (often 0, now
    and then one that holds a lone share to a few vCPUs) and weights for some of A, B and the
    prefix team*; other identifiers weigh 1."""
    weights = st.one_of(
        st.sampled_from([0.0001, 0.5, 1.0, 3.0, 999.9999]),
        st.integers(1, 9_999_999).map(lambda n: n / 10_000),
    )
    named = draw(st.lists(st.sampled_from(["A", "B", "team*"]), max_size=3, unique=True))
    policy = {
        "shareDecaySeconds": draw(
            st.one_of(st.sampled_from([0, 60, 3600]), st.integers(0, 604_800))
        ),
        "computeReservation": draw(st.one_of(st.sampled_from([0, 0, 50, 90]), st.integers(0, 99))),
        "shareDistribution": [{"shareIdentifier": s, "weightFactor": draw(weights)} for s in named],
    }
    return {"name": POLICY, "fairsharePolicy": policy}


@st.composite
def job_definitions(draw, index: int, gangs: list[tuple[str, int]]) -> dict:
    """A container definition: 1–8 vCPUs, memory (now and then more than any type offers); or
    now and then a multi-node parallel one (see multinode_definitions). Either with runtime,
    start and pull times, random failures, 1–10 attempts, an optional timeout, an optional
    checkpoint block and an optional schedulingPriority."""
    if draw(st.integers(0, 4)) == 0:
        definition = draw(multinode_definitions(index, gangs))
    else:
        vcpus = draw(st.integers(1, 8))
        mib_per_vcpu = draw(st.sampled_from([128, 256, 512, 1024, 1536, 1900, 3800, 9000]))
        definition = {
            "jobDefinitionName": f"def{index}",
            "containerProperties": {
                "image": draw(st.sampled_from(["img:a", "img:b"])),
                "resourceRequirements": [
                    {"type": "VCPU", "value": str(vcpus)},
                    {"type": "MEMORY", "value": str(vcpus * mib_per_vcpu)},
                ],
            },
        }
    definition["simulation"] = {
        "runtime": draw(durations(1, 1800)),
        "startTime": draw(st.integers(0, 30)),
        "imagePullTime": draw(st.integers(0, 90)),
        "failure": {"probability": draw(st.sampled_from([0.0, 0.2, 0.5, 0.9]))},
    }
    attempts = draw(st.one_of(st.none(), st.integers(1, 3), st.integers(4, 10)))
    if attempts is not None:
        definition["retryStrategy"] = {"attempts": attempts}
    timeout = draw(st.one_of(st.none(), st.integers(60, 1200)))
    if timeout is not None:
        definition["timeout"] = {"attemptDurationSeconds": timeout}
    if draw(st.booleans()):
        definition["simulation"]["checkpoint"] = draw(checkpoints())
    if draw(st.integers(0, 3)) == 0:
        definition["schedulingPriority"] = draw(st.sampled_from([0, 5, 9999]))
    return definition


@st.composite
def multinode_definitions(draw, index: int, gangs: list[tuple[str, int]]) -> dict:
    """A multi-node parallel definition (no simulation block yet): 1–3 single-tenant nodes of
    one instance type, in one node range or two, any node the main one. Mostly a (type, nodes)
    of ``gangs``, which some on-demand CE of the scenario could run; else any."""
    if gangs and draw(st.integers(0, 3)) > 0:
        node_type, nodes = draw(st.sampled_from(gangs))
    else:
        node_type, nodes = draw(st.sampled_from(INSTANCE_TYPES)), draw(st.integers(1, 3))
    container = {
        "image": draw(st.sampled_from(["img:a", "img:b"])),
        "instanceType": node_type,
        "resourceRequirements": [
            {"type": "VCPU", "value": "1"},
            {"type": "MEMORY", "value": "512"},
        ],
    }
    split = draw(st.integers(1, nodes))  # the first range holds nodes 0 … split − 1
    ranges = [{"targetNodes": "0:" if split == nodes else f"0:{split - 1}", "container": container}]
    if split < nodes:
        ranges.append({"targetNodes": f"{split}:", "container": container})
    return {
        "jobDefinitionName": f"def{index}",
        "type": "multinode",
        "nodeProperties": {
            "numNodes": nodes,
            "mainNode": draw(st.integers(0, nodes - 1)),
            "nodeRangeProperties": ranges,
        },
    }


def checkpoints() -> st.SearchStrategy:
    """A checkpoint block: every 30 s to 15 min of work, writes of 0–60 s, restarts of 0–120 s."""
    return st.fixed_dictionaries(
        {"interval": st.integers(30, 900)},
        optional={
            "cost": st.integers(0, 60),
            "restartCost": st.integers(0, 120),
            "onNotice": st.booleans(),
        },
    )


@st.composite
def workload_entries(
    draw,
    index: int,
    queues: list[str],
    definitions: list[str],
    fair_queues: set[str],
    multinode: set[str],
    stop_at: int | None,
) -> dict:
    """Jobs at a time, a small array (not of a multi-node parallel definition), a short Poisson
    stream, a schedule (see schedules) or a list of arrival times (at most 16 jobs each). A job
    of a fair-share queue has a share identifier; any job may override its scheduling
    priority."""
    submit = {
        "jobName": f"j{index}",
        "jobQueue": draw(st.sampled_from(queues)),
        "jobDefinition": draw(st.sampled_from(definitions)),
    }
    if submit["jobQueue"] in fair_queues:
        submit["shareIdentifier"] = draw(st.sampled_from(SHARES))
    if draw(st.integers(0, 3)) == 0:
        submit["schedulingPriorityOverride"] = draw(
            st.one_of(st.sampled_from([0, 9999]), st.integers(0, 9999))
        )
    entry = {"name": f"w{index}", "submit": submit}
    kinds = ["batch", "array", "poisson", "schedule", "times"]
    if submit["jobDefinition"] in multinode:
        kinds.remove("array")
    kind = draw(st.sampled_from(kinds))
    if kind == "poisson":
        rate = draw(st.sampled_from(["30/h", "2/m", "10/m"]))
        entry["arrivals"] = {"poisson": {"rate": rate}, "count": draw(st.integers(1, 16))}
    elif kind == "times":
        entry["arrivals"] = {"times": draw(st.lists(st.integers(0, 3600), min_size=1, max_size=6))}
    elif kind == "schedule":
        entry.update(draw(schedules(stop_at)))
    else:
        entry["at"] = draw(st.integers(0, 3600))
        if kind == "array":
            submit["arrayProperties"] = {"size": draw(st.integers(2, 8))}
        entry["count"] = draw(st.integers(1, 2 if kind == "array" else 10))
    if draw(st.integers(0, 4)) == 0:
        entry["runtime"] = draw(durations(1, 900))
    if draw(st.integers(0, 5)) == 0:
        entry["checkpoint"] = draw(checkpoints())
    return entry


@st.composite
def schedules(draw, stop_at: int | None) -> dict:
    """A rate or cron schedule from a time in the first hour, 1–2 jobs per firing: 1–6 firings
    up to ``until``, or (an hourly one, given a stopAt it fires before) up to stopAt."""
    expression = draw(st.sampled_from(list(SCHEDULES)))
    period = SCHEDULES[expression][0]
    entry = {"schedule": expression, "at": draw(st.integers(0, 3600))}
    entry["count"] = draw(st.integers(1, 2))
    first = first_firing(entry)
    open_ended = stop_at is not None and period >= 3600 and first <= stop_at
    if not (open_ended and draw(st.booleans())):
        entry["until"] = first + draw(st.integers(0, 5)) * period + draw(st.integers(0, period - 1))
    return entry


def first_firing(entry: dict) -> int:
    """When a scheduled entry first fires: at 'at' (a rate), or the next multiple of the cron's
    period from 'at' on."""
    period, aligned = SCHEDULES[entry["schedule"]]
    at = entry.get("at", 0)
    return -(-at // period) * period if aligned else at


@st.composite
def scenarios(draw) -> dict:
    """A whole random scenario dict (seeded later by the test)."""
    ces = [draw(compute_environments(i)) for i in range(draw(st.integers(1, 2)))]
    ce_names = [ce["computeEnvironmentName"] for ce in ces]
    policy = draw(st.one_of(st.none(), scheduling_policies()))
    queues = [
        draw(job_queues(i, ce_names, policy is not None)) for i in range(draw(st.integers(1, 2)))
    ]
    gangs = [
        (t, nodes)
        for ce in ces
        if not is_spot(ce["computeResources"])
        for t in ce["computeResources"]["instanceTypes"]
        for nodes in (1, 2, 3)
        if serves_multinode(ce["computeResources"], t, nodes)
    ]
    definitions = [draw(job_definitions(i, gangs)) for i in range(draw(st.integers(1, 3)))]
    queue_names = [q["jobQueueName"] for q in queues]
    definition_names = [d["jobDefinitionName"] for d in definitions]
    fair_queues = {q["jobQueueName"] for q in queues if "schedulingPolicyArn" in q}
    multinode = {d["jobDefinitionName"] for d in definitions if "nodeProperties" in d}
    simulation = {"schedulerInterval": draw(st.sampled_from([0, 0, 30]))}
    stop_at = draw(st.one_of(st.none(), st.none(), st.integers(60, 4 * 3600)))
    if stop_at is not None:
        simulation["stopAt"] = stop_at
    workload = [
        draw(workload_entries(i, queue_names, definition_names, fair_queues, multinode, stop_at))
        for i in range(draw(st.integers(1, 4)))
    ]
    data = {
        "name": "random",
        "simulation": simulation,
        "computeEnvironments": ces,
        "jobQueues": queues,
        "jobDefinitions": definitions,
        "workload": workload,
    }
    if policy is not None:
        data["schedulingPolicies"] = [policy]
    return data


def check_loader_accepts(data: dict) -> None:
    """The loader's cross-object checks find nothing wrong with the scenario (but the stormy
    Spot lifetimes, see STORMY_PROBLEM): its fair-share, multi-node and schedule rules hold."""
    problems = check_scenario(Scenario.model_validate(data), FULL_CATALOG)
    assert [p for p in problems if STORMY_PROBLEM not in p.message] == []


# ----------------------------------------------------------------------------- invariants
def submissions(entry: dict, stop_at: float | None) -> int | None:
    """Return the SubmitJob calls ``entry`` makes before ``stop_at`` (all of them without one;
    events due at stopAt are not processed): ``count`` at 'at', ``count`` at each firing of a
    schedule up to its 'until' (else stopAt), one at each listed time. None for a Poisson
    stream, which its count or the cut ends at a random time."""
    arrivals = entry.get("arrivals", {})
    if "poisson" in arrivals:
        return None
    if "schedule" in entry:
        period = SCHEDULES[entry["schedule"]][0]
        last = entry.get("until", stop_at)
        times = list(range(first_firing(entry), last + 1, period)) * entry["count"]
    elif "times" in arrivals:
        times = arrivals["times"]
    else:
        times = [entry.get("at", 0)] * entry.get("count", 1)
    return sum(1 for t in times if stop_at is None or t < stop_at)


def submitted_count(data: dict) -> tuple[int, int]:
    """Return (plain jobs, array parents) the scenario submits before its stopAt (see
    submissions); Poisson entries give an upper bound for plain jobs because a stream ends at
    stopAt."""
    stop_at = data["simulation"].get("stopAt")
    plain = parents = 0
    for entry in data["workload"]:
        count = submissions(entry, stop_at)
        if count is None:
            count = entry["arrivals"]["count"]
        size = entry["submit"].get("arrayProperties", {}).get("size")
        if size is None:
            plain += count
        else:
            parents += count
            plain += count * size
    return plain, parents


def check_no_job_lost(data: dict, result) -> None:
    """Every submitted job appears once; every job ends terminal or stays RUNNABLE for a reason
    (a CAPACITY or MISCONFIGURATION statusReason, or a fair-share queue's reservation)."""
    jobs = result.jobs
    assert jobs["jobId"].is_unique
    stop_at = data["simulation"].get("stopAt")
    plain, parents = submitted_count(data)
    children = jobs[jobs["arraySize"].isna()]
    # Entries that submit at known times have made exactly the calls due before any cut.
    for entry in data["workload"]:
        calls = submissions(entry, stop_at)
        if calls is None:
            continue
        size = entry["submit"].get("arrayProperties", {}).get("size", 0)
        made = jobs[jobs["workload"] == entry["name"]]
        assert len(made) == calls * (1 + size), entry["name"]
        assert made["arraySize"].notna().sum() == (calls if size else 0), entry["name"]
    if stop_at is not None:
        # A horizon may cut a Poisson stream and leave jobs in any state.
        assert len(children) <= plain
        return
    assert len(children) == plain and jobs["arraySize"].notna().sum() == parents
    for row in children.itertuples():
        if row.status in TERMINAL:
            continue
        assert row.status == "RUNNABLE", f"{row.jobId} ended {row.status}"
        if isinstance(row.statusReason, str) and row.statusReason.startswith("MISCONFIGURATION:"):
            continue
        if isinstance(row.statusReason, str) and row.statusReason.startswith("CAPACITY:"):
            # Only a shortage that never ends can leave a job waiting when the run stops.
            short = re.search(r"\[(.+)\]$", row.statusReason).group(1)
            assert short in endless_shortages(data, row.jobQueue), (row.jobId, row.statusReason)
            continue
        why = why_still_runnable(row, data, result)
        if why == "reserved":
            continue  # AWS gives no reason either: the job waits for another share to show up
        raise AssertionError(f"{row.jobId} stuck RUNNABLE without reason ({why})")


def endless_shortages(data: dict, queue_name: str, types_of=None) -> set[str]:
    """The types that a sure shortage without end keeps from launching in some CE of the queue
    (a window without instanceTypes covers ``types_of(ce)``: by default the CE's own types)."""
    types_of = types_of or (lambda ce: ce["computeResources"]["instanceTypes"])
    ces = {ce["computeEnvironmentName"]: ce for ce in data["computeEnvironments"]}
    queue = next(q for q in data["jobQueues"] if q["jobQueueName"] == queue_name)
    short = set()
    for order in queue["computeEnvironmentOrder"]:
        ce = ces[order["computeEnvironment"]]
        for window in ce["simulation"].get("capacityShortages", []):
            if "end" not in window and window["probability"] >= 1:
                short |= set(window.get("instanceTypes", types_of(ce)))
    return short


def is_spot(resources: dict) -> bool:
    """Whether a CE's computeResources are SPOT."""
    return resources["type"] == "SPOT"


def overshoots(resources: dict) -> bool:
    """Whether the CE may exceed maxvCpus by one instance: all but on-demand BEST_FIT (AWS)."""
    return is_spot(resources) or resources["allocationStrategy"] != "BEST_FIT"


def hourly_price(resources: dict, instance_type: str) -> float:
    """What the CE pays per hour for ``instance_type``: on-demand, or the Spot Advisor price."""
    itype = CATALOG[instance_type]
    if is_spot(resources):
        return itype.on_demand_price_per_hour * (1 - itype.spot_savings_pct / 100)
    return itype.on_demand_price_per_hour


def allocatable_mib(instance_type: str) -> float:
    """Memory ECS registers on ``instance_type`` (nominal × 0.975 − 32 MiB)."""
    return CATALOG[instance_type].memory_mib * ALLOCATABLE_FACTOR - RESERVED_MIB


def fits(job, instance_type: str) -> bool:
    """Whether one job fits on an empty instance of ``instance_type``."""
    room_mib = allocatable_mib(instance_type)
    return job.vcpus <= CATALOG[instance_type].vcpus and job.memory <= room_mib


def node_spec(definition: dict) -> tuple[str, int] | None:
    """Return (node instance type, numNodes) of a multi-node parallel definition, else None."""
    nodes = definition.get("nodeProperties")
    if nodes is None:
        return None
    return nodes["nodeRangeProperties"][0]["container"]["instanceType"], nodes["numNodes"]


def serves_multinode(resources: dict, node_type: str, nodes: int) -> bool:
    """Whether a CE can ever run a multi-node parallel job: on-demand EC2 (not SPOT), the node
    type among its types, and maxvCpus for every node's whole instance."""
    return (
        resources["type"] == "EC2"
        and node_type in resources["instanceTypes"]
        and nodes * CATALOG[node_type].vcpus <= resources["maxvCpus"]
    )


def held_vcpus(job) -> float:
    """vCPUs a jobs-table row holds when placed: its own, or every node's for an MNP job."""
    return float(job.vcpus) * (1 if pd.isna(job.numNodes) else int(job.numNodes))


def fair_policy(data: dict, queue: dict) -> dict | None:
    """Return the fairsharePolicy of a fair-share queue (None for a FIFO queue)."""
    reference = queue.get("schedulingPolicyArn")
    if reference is None:
        return None
    name = reference.rsplit("scheduling-policy/", 1)[-1]
    return next(p for p in data["schedulingPolicies"] if p["name"] == name)["fairsharePolicy"]


def reservation_limit(data: dict, queue: dict, active: int) -> float:
    """Return the vCPUs a fair-share queue may run with ``active`` share identifiers active:
    the queue's CEs' maxvCpus × (1 − (computeReservation/100)^active) (engine/fair_share.py)."""
    ces = {ce["computeEnvironmentName"]: ce for ce in data["computeEnvironments"]}
    total = sum(
        ces[o["computeEnvironment"]]["computeResources"]["maxvCpus"]
        for o in queue["computeEnvironmentOrder"]
    )
    ratio = fair_policy(data, queue).get("computeReservation", 0) / 100.0
    return total * (1.0 - (ratio**active if ratio > 0 else 0.0))


def share_of_entry(data: dict) -> dict[str, str | None]:
    """Workload entry name → the shareIdentifier its jobs carry."""
    return {e["name"]: e["submit"].get("shareIdentifier") for e in data["workload"]}


def why_still_runnable(job, data: dict, result) -> str:
    """Explain a job left RUNNABLE without statusReason when a run ends by itself (no stopAt).

    By then nothing runs and every instance still alive is idle and kept by minvCpus.
    "reserved" if the job's fair-share queue may not start it with the shares active now (the
    job holds more than reservation_limit: legitimate, the reservation waits for new shares).
    Else per CE of the job's queue: "idle_fits" if one of those instances could hold it (a
    placement bug); "stranded" if the CE could launch a fitting type under maxvCpus now (a
    scale-out bug); "floor" if it could but for the instances minvCpus keeps (the known gap
    below); "never" if it never could (then the job should carry a MISCONFIGURATION reason).
    The worst verdict over the CEs wins. A multi-node parallel job is judged by its nodes
    (why_nodes_still_runnable).
    """
    queue = next(q for q in data["jobQueues"] if q["jobQueueName"] == job.jobQueue)
    if fair_policy(data, queue) is not None:
        jobs = result.jobs
        waiting = jobs[
            (jobs["jobQueue"] == job.jobQueue)
            & jobs["arraySize"].isna()
            & ~jobs["status"].isin(TERMINAL)
        ]
        active = waiting["workload"].map(share_of_entry(data)).nunique()
        if held_vcpus(job) > reservation_limit(data, queue, active):
            return "reserved"
    if not pd.isna(job.numNodes):
        return why_nodes_still_runnable(job, data, result, queue)
    ces, alive = resources_and_alive(data, result)
    verdicts = set()
    for order in queue["computeEnvironmentOrder"]:
        resources = ces[order["computeEnvironment"]]
        mine = alive[alive["computeEnvironment"] == order["computeEnvironment"]]
        held, top = int(mine["vcpus"].sum()), resources["maxvCpus"]
        fitting = [t for t in resources["instanceTypes"] if fits(job, t)]
        if not overshoots(resources):
            # On-demand BEST_FIT launches only the cheapest fitting type, never above maxvCpus.
            cheapest = min(fitting, key=lambda t: hourly_price(resources, t), default=None)
            need = math.inf if cheapest is None else CATALOG[cheapest].vcpus
            never, room = need > top, held + need <= top
        else:
            # Other strategies (and BEST_FIT on Spot) may overshoot maxvCpus by one instance.
            never, room = not fitting or job.vcpus > top, held < top
        if any(fits(job, t) for t in mine["instanceType"]):
            verdicts.add("idle_fits")
        elif never:
            verdicts.add("never")
        elif room:
            verdicts.add("stranded")
        else:
            verdicts.add("floor")
    return worst(verdicts)


def resources_and_alive(data: dict, result) -> tuple[dict, pd.DataFrame]:
    """Return each CE's computeResources by name, and the instances alive at the end."""
    ces = {
        ce["computeEnvironmentName"]: ce["computeResources"] for ce in data["computeEnvironments"]
    }
    return ces, result.instances[result.instances["endReason"] == "end_of_run"]


def why_nodes_still_runnable(job, data: dict, result, queue: dict) -> str:
    """why_still_runnable for a multi-node parallel job, per CE of its queue: "never" where
    it can never run (serves_multinode); "idle_fits" if enough instances of the node type are
    alive (idle) for every node; "stranded" if the CE could launch the missing nodes under
    maxvCpus (the last one over it, where it overshoots); else "floor"."""
    definition = next(
        d for d in data["jobDefinitions"] if d["jobDefinitionName"] == job.jobDefinition
    )
    node_type, nodes = node_spec(definition)
    node_vcpus = CATALOG[node_type].vcpus
    ces, alive = resources_and_alive(data, result)
    verdicts = set()
    for order in queue["computeEnvironmentOrder"]:
        resources = ces[order["computeEnvironment"]]
        if not serves_multinode(resources, node_type, nodes):
            verdicts.add("never")
            continue
        mine = alive[alive["computeEnvironment"] == order["computeEnvironment"]]
        missing = nodes - int((mine["instanceType"] == node_type).sum())
        held, top = int(mine["vcpus"].sum()), resources["maxvCpus"]
        if overshoots(resources):
            room = held + (missing - 1) * node_vcpus < top
        else:
            room = held + missing * node_vcpus <= top
        verdicts.add("idle_fits" if missing <= 0 else "stranded" if room else "floor")
    return worst(verdicts)


def worst(verdicts: set[str]) -> str:
    """Return the worst of why_still_runnable's verdicts over the CEs."""
    for verdict in ("idle_fits", "stranded", "floor"):
        if verdict in verdicts:
            return verdict
    return "never"


def check_attempts(data: dict, result) -> None:
    """Attempts never exceed retryStrategy.attempts, and attempts rows match each job's count."""
    limits = {
        d["jobDefinitionName"]: d.get("retryStrategy", {}).get("attempts", 1)
        for d in data["jobDefinitions"]
    }
    jobs = result.jobs[result.jobs["arraySize"].isna()]
    assert (jobs["attempts"] <= jobs["jobDefinition"].map(limits)).all()
    rows = result.attempts.groupby("jobId").size()
    assert (jobs.set_index("jobId")["attempts"] == rows.reindex(jobs["jobId"]).fillna(0)).all()
    for job_id, group in result.attempts.groupby("jobId"):
        assert list(group["attempt"]) == list(range(1, len(group) + 1)), job_id
    parents = result.jobs[result.jobs["arraySize"].notna()]
    assert (parents["attempts"] == 0).all() and not result.attempts["jobId"].isin(
        parents["jobId"]
    ).any()


def job_shapes(data: dict) -> list[tuple[float, float, str | None]]:
    """(vCPU, MiB, node type) of every job definition, plus the 1-vCPU shape the minvCpus fill
    uses; a multi-node parallel job's shape is one node's whole instance, of its node type."""
    shapes = [(1.0, 0.0, None)]
    for definition in data["jobDefinitions"]:
        spec = node_spec(definition)
        if spec is not None:
            node_type = spec[0]
            shapes.append((CATALOG[node_type].vcpus, allocatable_mib(node_type), node_type))
            continue
        values = {
            r["type"]: float(r["value"])
            for r in definition["containerProperties"]["resourceRequirements"]
        }
        shapes.append((values["VCPU"], values["MEMORY"], None))
    return shapes


def overshoot_allowance(data: dict, ce: dict) -> int:
    """The most one overshooting instance may add: for each job shape, the type the strategy
    would pick when the room under maxvCpus is too small (the engine's rule), and the largest of
    those over the shapes. BEST_FIT overshoots with its one cheapest type; the others with the
    smallest type that takes a job among those they draw from (the ordered ones: the first
    listed of those). A capacity shortage may rule out
    any types for a while, so with one (BEST_FIT aside, which waits) the bound is the largest
    fitting type. Multi-node parallel jobs launch their node type only, never on Spot."""
    resources = ce["computeResources"]
    strategy = resources["allocationStrategy"]
    sizes = []
    for vcpus, mib, node_type in job_shapes(data):
        if node_type is not None and is_spot(resources):
            continue
        fitting = [
            t
            for t in resources["instanceTypes"]
            if vcpus <= CATALOG[t].vcpus and mib <= allocatable_mib(t) and node_type in (None, t)
        ]
        if not fitting:
            continue
        if strategy == "BEST_FIT":
            sizes.append(CATALOG[min(fitting, key=lambda t: hourly_price(resources, t))].vcpus)
            continue
        if ce["simulation"].get("capacityShortages"):
            sizes.append(max(CATALOG[t].vcpus for t in fitting))
            continue
        if strategy.startswith("SPOT_"):
            buckets = sorted({CATALOG[t].interruption_bucket for t in fitting})
            kept = buckets[:2] if strategy == "SPOT_PRICE_CAPACITY_OPTIMIZED" else buckets[:1]
            fitting = [t for t in fitting if CATALOG[t].interruption_bucket in kept]
        if strategy in ORDERED_STRATEGIES:
            fitting = fitting[:1]  # exact types here: the first listed that fits overshoots
        sizes.append(min(CATALOG[t].vcpus for t in fitting))
    return max(sizes, default=0)


def check_capacity_bounds(data: dict, result) -> None:
    """Desired vCPUs of each CE stay in [0, maxvCpus] (on-demand BEST_FIT), or exceed it by one
    instance at most (see overshoot_allowance) for the other strategies and on Spot."""
    for ce in data["computeEnvironments"]:
        resources = ce["computeResources"]
        points = result.capacity[
            result.capacity["computeEnvironment"] == ce["computeEnvironmentName"]
        ]
        limit = resources["maxvCpus"]
        if overshoots(resources):
            limit += overshoot_allowance(data, ce)
        assert (points["desiredvCpus"] >= 0).all() and (points["desiredvCpus"] <= limit).all()
        assert (points["readyvCpus"] >= 0).all() and (
            points["readyvCpus"] <= points["desiredvCpus"]
        ).all()


def check_capacity_matches_instances(result) -> None:
    """After each change point, a CE's desired (ready) vCPUs are those of its instances launched
    (ready) and not yet terminated: the capacity and instances tables tell one story.

    NOTE: counted with sorted times (launched by t minus terminated by t), not a scan of the
    instances per change point: a stormy Spot market under a minvCpus floor launches thousands.
    """
    inst = result.instances
    last = result.capacity.groupby(["computeEnvironment", "time"], sort=False).last()
    for ce, points in last.groupby(level="computeEnvironment", sort=False):
        times = points.index.get_level_values("time").to_numpy(float)
        mine = inst[inst["computeEnvironment"] == ce]
        vcpus = mine["vcpus"].to_numpy(float)
        ended = np.where(mine["endReason"] == "end_of_run", np.inf, mine["terminatedAt"])
        ready = mine["readyAt"].to_numpy(float)  # NaN: reclaimed or cut before it was ready
        was_ready = ~np.isnan(ready)
        desired = level_at(mine["launchedAt"].to_numpy(float), vcpus, times) - level_at(
            ended, vcpus, times
        )
        # An instance ready by t and terminated by t was ready before its end.
        ready_level = level_at(ready[was_ready], vcpus[was_ready], times) - level_at(
            ended[was_ready], vcpus[was_ready], times
        )
        assert (points["desiredvCpus"].to_numpy(float) == desired).all(), ce
        assert (points["readyvCpus"].to_numpy(float) == ready_level).all(), ce


def level_at(at: np.ndarray, weights: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Return Σ weights[at <= t] for each t in ``times``."""
    order = np.argsort(at, kind="stable")
    totals = np.concatenate([[0.0], np.cumsum(weights[order])])
    return totals[np.searchsorted(at[order], times, side="right")]


def peak_level(starts: np.ndarray, stops: np.ndarray, weights: np.ndarray) -> float:
    """Return the highest sum of ``weights`` over intervals [start, stop) open at one time.

    NOTE: at equal times releases come first, so a job ending at t frees room for one starting
    at t, as in the engine.
    """
    times = np.concatenate([stops, starts])
    deltas = np.concatenate([-weights, weights])
    order = np.lexsort((deltas, times))  # by time, then releases (negative) before holds
    return float(np.cumsum(deltas[order]).max(initial=0.0))


def node_counts(result) -> pd.Series:
    """Return the nodes each attempt holds (numNodes of an MNP job, else 1), by attempt row."""
    nodes = result.attempts["jobId"].map(result.jobs.set_index("jobId")["numNodes"])
    return nodes.astype(float).fillna(1.0)


def check_instances(result) -> None:
    """Per instance: jobs never hold more vCPUs or memory than it has, attempts run inside its
    ready life, and its busy vCPU-seconds are those of its attempts.

    An MNP attempt names its main node only; its other nodes are whole instances of its type in
    its CE, busy as long. In such a (CE, type) pool an instance's busy vCPU-seconds are at least
    its own attempts' and at most its ready life's, and the pool's add up to its attempts'
    vCPU-seconds times their nodes.
    """
    attempts = result.attempts.copy()
    attempts["busy"] = attempts["vcpus"] * (attempts["stoppedAt"] - attempts["startingAt"])
    attempts["nodes"] = node_counts(result)
    pool_of = ["computeEnvironment", "instanceType"]
    pools = set(attempts.loc[attempts["nodes"] > 1, pool_of].itertuples(index=False, name=None))
    by_instance = dict(tuple(attempts.groupby("instanceId")))
    for inst in result.instances.itertuples():
        assert inst.launchedAt <= inst.terminatedAt
        own = by_instance.get(inst.instanceId)
        own_busy = 0.0 if own is None else float(own["busy"].sum())
        if (inst.computeEnvironment, inst.instanceType) in pools:
            ready_s = 0.0 if pd.isna(inst.readyAt) else inst.terminatedAt - inst.readyAt
            assert own_busy <= inst.busyVcpuSeconds * (1 + EPS) + 1e-6
            assert inst.busyVcpuSeconds <= inst.vcpus * ready_s * (1 + EPS) + 1e-6
        else:
            assert inst.busyVcpuSeconds == pytest.approx(own_busy, rel=1e-9, abs=1e-6)
        if own is None:
            continue
        assert (own["instanceType"] == inst.instanceType).all()
        starts, stops = own["startingAt"].to_numpy(float), own["stoppedAt"].to_numpy(float)
        assert peak_level(starts, stops, own["vcpus"].to_numpy(float)) <= inst.vcpus
        assert (
            peak_level(starts, stops, own["memory"].to_numpy(float))
            <= allocatable_mib(inst.instanceType) + EPS
        )
        assert (
            inst.readyAt is not None
            and inst.launchedAt <= inst.readyAt
            and (starts >= inst.readyAt).all()
            and (stops <= inst.terminatedAt).all()
        )
    assert set(attempts["instanceId"]) <= set(result.instances["instanceId"])
    inst = result.instances
    for ce, itype in pools:
        mine = attempts[
            (attempts["computeEnvironment"] == ce) & (attempts["instanceType"] == itype)
        ]
        busy = inst.loc[
            (inst["computeEnvironment"] == ce) & (inst["instanceType"] == itype), "busyVcpuSeconds"
        ]
        assert busy.sum() == pytest.approx((mine["busy"] * mine["nodes"]).sum(), rel=1e-9, abs=1e-6)


def check_multinode(data: dict, result) -> None:
    """Multi-node parallel jobs: jobs.csv shows one node's whole instance (the type's vCPUs,
    its allocatable memory) and numNodes; they run only on a CE that serves_multinode, on an
    instance of the node type, and wait with a MISCONFIGURATION reason where none does — saying
    "not supported" only where the queue has no on-demand EC2 CE. Whenever one starts, its CE
    has a ready instance of the node type, empty of other jobs, for each node then held."""
    definitions = {d["jobDefinitionName"]: node_spec(d) for d in data["jobDefinitions"]}
    ces = {c["computeEnvironmentName"]: c["computeResources"] for c in data["computeEnvironments"]}
    queues = {
        q["jobQueueName"]: [ces[o["computeEnvironment"]] for o in q["computeEnvironmentOrder"]]
        for q in data["jobQueues"]
    }
    for row in result.jobs[result.jobs["arraySize"].isna()].itertuples():
        spec = definitions[row.jobDefinition]
        if spec is None:
            assert pd.isna(row.numNodes), row.jobId
            continue
        node_type, nodes = spec
        assert (row.numNodes, row.vcpus) == (nodes, CATALOG[node_type].vcpus), row.jobId
        assert row.memory == pytest.approx(allocatable_mib(node_type), rel=1e-12)
        servable = any(serves_multinode(r, node_type, nodes) for r in queues[row.jobQueue])
        if row.attempts > 0:
            assert row.instanceType == node_type, row.jobId
            assert serves_multinode(ces[row.computeEnvironment], node_type, nodes), row.jobId
        elif not servable:
            reason = row.statusReason if isinstance(row.statusReason, str) else ""
            assert row.status == "RUNNABLE" and reason.startswith("MISCONFIGURATION:"), row.jobId
        if isinstance(row.statusReason, str) and MULTINODE_NOT_SUPPORTED in row.statusReason:
            assert not any(r["type"] == "EC2" for r in queues[row.jobQueue]), row.jobId
    attempts = result.attempts.assign(nodes=node_counts(result).to_numpy())
    gangs = attempts[attempts["jobId"].map(result.jobs.set_index("jobId")["numNodes"]).notna()]
    inst = result.instances
    for gang in gangs.itertuples():
        at = gang.startingAt
        pool = inst[
            (inst["computeEnvironment"] == gang.computeEnvironment)
            & (inst["instanceType"] == gang.instanceType)
            & (inst["readyAt"] <= at)
            & (inst["terminatedAt"] >= at)
        ]
        held = attempts[
            (attempts["computeEnvironment"] == gang.computeEnvironment)
            & (attempts["instanceType"] == gang.instanceType)
            & (attempts["startingAt"] <= at)
            & (attempts["stoppedAt"] > at)
        ]
        is_gang = held["jobId"].isin(gangs["jobId"])
        in_use = held.loc[~is_gang, "instanceId"].nunique() + held.loc[is_gang, "nodes"].sum()
        assert in_use <= len(pool), (gang.jobId, at)


def check_fair_share(data: dict, result) -> None:
    """In a fair-share queue no start takes the vCPUs its jobs hold (an MNP job: all its nodes)
    over reservation_limit, with the share identifiers active at that pass: those with a job
    created by then and not yet SUCCEEDED or FAILED before it."""
    shares = share_of_entry(data)
    jobs = result.jobs[result.jobs["arraySize"].isna()]
    attempts = result.attempts.assign(
        held=(result.attempts["vcpus"] * node_counts(result)).to_numpy(float)
    )
    for queue in data["jobQueues"]:
        if fair_policy(data, queue) is None:
            continue
        mine = jobs[jobs["jobQueue"] == queue["jobQueueName"]]
        share = mine["workload"].map(shares)
        done_at = mine["stoppedAt"].where(mine["status"].isin(TERMINAL), math.inf).astype(float)
        own = attempts[attempts["jobId"].isin(mine["jobId"])]
        starts, stops = own["startingAt"].to_numpy(float), own["stoppedAt"].to_numpy(float)
        for at in np.unique(starts):
            active = share[(mine["createdAt"] <= at) & (done_at > at)].nunique()
            running = own["held"].to_numpy()[(starts <= at) & (stops > at)].sum()
            limit = reservation_limit(data, queue, active)
            assert running <= limit + EPS, (queue["jobQueueName"], at, running, limit, active)


def expected_bill_usd(instance) -> float:
    """Price × max(60 s, run time) / 3600, except a Spot instance reclaimed in its first hour,
    which is free."""
    run_s = instance.terminatedAt - instance.launchedAt
    if (
        instance.lifecycle == "spot"
        and instance.endReason == "spot_interrupted"
        and run_s < FREE_INTERRUPTION_S
    ):
        return 0.0
    return instance.pricePerHour * max(60.0, run_s) / 3600.0


def check_bill(data: dict, result) -> None:
    """The bill is Σ price × max(60 s, run time) / 3600 over instances (a Spot instance reclaimed
    within its first hour costs nothing); the price is on-demand, or the Spot Advisor price on a
    SPOT CE; no cost is negative."""
    inst = result.instances
    resources = {
        ce["computeEnvironmentName"]: ce["computeResources"] for ce in data["computeEnvironments"]
    }
    prices = [
        hourly_price(resources[i.computeEnvironment], i.instanceType) for i in inst.itertuples()
    ]
    assert inst["pricePerHour"].tolist() == pytest.approx(prices, rel=1e-12)
    expected = [expected_bill_usd(i) for i in inst.itertuples()]
    assert (inst["runSeconds"] == inst["terminatedAt"] - inst["launchedAt"]).all()
    assert inst["costUsd"].tolist() == pytest.approx(expected, rel=1e-12)
    summary = result.summary
    assert summary["total_cost_usd"] == pytest.approx(math.fsum(expected), rel=1e-9, abs=1e-12)
    assert summary["total_cost_usd"] >= 0 and (inst["costUsd"] >= 0).all()
    assert sum(summary["cost_by_lifecycle_usd"].values()) == pytest.approx(
        summary["total_cost_usd"]
    )
    assert summary["idle_cost_usd"] >= -EPS
    assert summary["vcpu_hours_used"] <= summary["vcpu_hours_paid"] * (1 + EPS)


def ordered(*values) -> bool:
    """Whether the non-missing values are in non-decreasing order."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return all(a <= b for a, b in zip(present, present[1:], strict=False))


def check_timestamps(result) -> None:
    """No job starts before it was created; state times are ordered per job and per attempt."""
    jobs = result.jobs.set_index("jobId")
    for row in result.jobs.itertuples():
        times = (row.createdAt, row.runnableAt, row.startingAt, row.startedAt, row.stoppedAt)
        if row.status in TERMINAL or row.attempts == 0:
            # The stamps hold the last time the job entered each state, so a job sent back to
            # RUNNABLE by a retry may legitimately show runnableAt after startingAt.
            assert ordered(*times), f"{row.jobId}: {times}"
        assert ordered(row.createdAt, row.pendingAt, row.runnableAt)
    for a in result.attempts.itertuples():
        created = jobs.at[a.jobId, "createdAt"]
        assert ordered(created, a.runnableAt, a.startingAt, a.startedAt, a.stoppedAt), a
        assert a.queueWaitSeconds == a.startingAt - a.runnableAt


def check_arrays(result) -> None:
    """An array parent is SUCCEEDED iff all its children are; FAILED iff all are terminal and
    one failed; otherwise still PENDING."""
    jobs = result.jobs
    for parent in jobs[jobs["arraySize"].notna()].itertuples():
        children = jobs[jobs["arrayParent"] == parent.jobId]
        assert len(children) == parent.arraySize
        states = set(children["status"])
        if states == {"SUCCEEDED"}:
            assert parent.status == "SUCCEEDED"
        elif states <= TERMINAL:
            assert parent.status == "FAILED"
        else:
            assert parent.status == "PENDING"
        if parent.status in TERMINAL:
            assert parent.stoppedAt == children["stoppedAt"].max()


def check_summary(result) -> None:
    """Summary counts agree with the jobs table."""
    plain = result.jobs[result.jobs["arraySize"].isna()]
    counts = plain["status"].value_counts()
    assert result.summary["jobs_total"] == len(plain)
    for state, n in result.summary["jobs_by_status"].items():
        assert n == counts.get(state, 0), state


def check_attempt_sequence(data: dict, result) -> None:
    """A job's attempts never overlap: each retry becomes RUNNABLE when the previous attempt
    stops. The last attempt agrees with the job's state; a job failed by a reclaim or an exit
    used every attempt (no evaluateOnExit rules here), and a job retrying has some left."""
    limits = {
        d["jobDefinitionName"]: d.get("retryStrategy", {}).get("attempts", 1)
        for d in data["jobDefinitions"]
    }
    attempts = result.attempts.sort_values(["jobId", "attempt"], kind="stable")
    same_job = attempts["jobId"].eq(attempts["jobId"].shift())
    previous_stop = attempts["stoppedAt"].shift()
    assert (attempts.loc[same_job, "runnableAt"] == previous_stop[same_job]).all()
    assert (attempts.loc[same_job, "startingAt"] >= previous_stop[same_job]).all()
    last = attempts.groupby("jobId").last()
    jobs = result.jobs[result.jobs["attempts"] > 0].set_index("jobId")
    outcome = last["outcome"].reindex(jobs.index)
    limit = jobs["jobDefinition"].map(limits)
    assert (outcome[jobs["status"] == "SUCCEEDED"] == "succeeded").all()
    failed = jobs["status"] == "FAILED"
    assert outcome[failed].isin(["failed", "timed_out", "spot_interrupted"]).all()
    used_up = failed & outcome.isin(["failed", "spot_interrupted"])
    assert (jobs.loc[used_up, "attempts"] == limit[used_up]).all()
    retrying = jobs["status"] == "RUNNABLE"
    assert outcome[retrying].isin(["failed", "spot_interrupted"]).all()
    assert (jobs.loc[retrying, "attempts"] < limit[retrying]).all()
    open_ = jobs["status"].isin(["STARTING", "RUNNING"])
    assert (outcome[open_] == "unfinished").all()


def check_spot(data: dict, result) -> None:
    """Spot bookkeeping: lifecycles and end reasons by CE type, reclaims that end their attempts
    at the instance's end with AWS's reason, notices before reclaims, the interruption count and
    the wasted vCPU-hours of the summary, and per attempt 0 ≤ wasted ≤ vCPUs × RUNNING time
    (≤ vCPUs × time held), all of it without a checkpoint, at most one interval with one."""
    ces = {ce["computeEnvironmentName"]: ce for ce in data["computeEnvironments"]}
    inst = result.instances.set_index("instanceId")
    attempts = result.attempts
    spot = inst["computeEnvironment"].map(lambda n: is_spot(ces[n]["computeResources"]))
    assert (inst.loc[spot, "lifecycle"] == "spot").all()
    assert (inst.loc[~spot, "lifecycle"] == "on-demand").all()
    assert inst.loc[spot, "endReason"].isin(["scale_in", "spot_interrupted", "end_of_run"]).all()
    assert inst.loc[~spot, "endReason"].isin(["scale_in", "end_of_run"]).all()
    assert inst.loc[~spot, "interruptionNoticeAt"].isna().all()
    # A notice comes once, within the instance's life; a reclaim follows its notice by the
    # notice time (less if the instance lived less than that).
    noticed = inst[inst["interruptionNoticeAt"].notna()]
    notice_at = noticed["interruptionNoticeAt"].to_numpy(float)
    assert (notice_at >= noticed["launchedAt"].to_numpy(float)).all()
    assert (notice_at <= noticed["terminatedAt"].to_numpy(float)).all()
    reclaimed = inst[inst["endReason"] == "spot_interrupted"]
    assert reclaimed["interruptionNoticeAt"].notna().all()
    notice_s = reclaimed["computeEnvironment"].map(
        lambda n: ces[n]["simulation"]["spot"].get("noticeTime", DEFAULT_NOTICE_S)
    )
    expected_notice = np.maximum(
        reclaimed["launchedAt"].to_numpy(float),
        reclaimed["terminatedAt"].to_numpy(float) - notice_s.to_numpy(float),
    )
    np.testing.assert_allclose(
        reclaimed["interruptionNoticeAt"].to_numpy(float), expected_notice, rtol=0, atol=1e-6
    )
    # Every interrupted attempt ran on a reclaimed Spot instance and ended with it.
    cut = attempts[attempts["outcome"] == "spot_interrupted"]
    host = inst.loc[cut["instanceId"]]
    assert (host["endReason"] == "spot_interrupted").all()
    assert (cut["stoppedAt"].to_numpy() == host["terminatedAt"].to_numpy()).all()
    reasons = "Host EC2 (instance " + cut["instanceId"] + ") terminated."
    assert (cut["statusReason"] == reasons).all()
    # Summary and wasted work.
    assert result.summary["interruptions"] == len(cut)
    wasted = attempts["wastedVcpuHours"].to_numpy(float)
    assert result.summary["wasted_vcpu_hours"] == pytest.approx(
        math.fsum(wasted), rel=1e-9, abs=1e-12
    )
    vcpus = attempts["vcpus"].to_numpy(float)
    stopped = attempts["stoppedAt"].to_numpy(float)
    held_h = vcpus * (stopped - attempts["startingAt"].to_numpy(float)) / 3600.0
    # NaN startedAt: cut while STARTING, before any work.
    running_h = vcpus * np.nan_to_num(stopped - attempts["startedAt"].to_numpy(float)) / 3600.0
    assert (wasted >= 0).all() and (wasted <= held_h * (1 + EPS) + EPS).all()
    assert (wasted <= running_h * (1 + EPS) + EPS).all()
    cut_now = (attempts["outcome"] == "spot_interrupted").to_numpy()
    assert (wasted[~cut_now] == 0).all()
    # Without a checkpoint a cut attempt loses all its RUNNING time; with one, at most the piece
    # in progress (one interval of work).
    interval = attempts["jobId"].map(checkpoint_intervals(data, result)).to_numpy(float)
    plain = cut_now & np.isnan(interval)
    np.testing.assert_allclose(wasted[plain], running_h[plain], rtol=1e-9, atol=1e-12)
    saving = ~np.isnan(interval)
    assert (wasted[saving] <= vcpus[saving] * interval[saving] / 3600.0 * (1 + EPS)).all()


def checkpoint_intervals(data: dict, result) -> dict[str, float]:
    """jobId → the job's checkpoint interval in seconds (its workload entry's block, else its
    definition's), NaN for a job without checkpoints."""
    by_definition = {
        d["jobDefinitionName"]: d["simulation"].get("checkpoint") for d in data["jobDefinitions"]
    }
    by_entry = {}
    for entry in data["workload"]:
        block = entry.get("checkpoint") or by_definition[entry["submit"]["jobDefinition"]]
        by_entry[entry["name"]] = math.nan if block is None else float(block["interval"])
    return dict(zip(result.jobs["jobId"], result.jobs["workload"].map(by_entry), strict=True))


def assert_same_run(a, b) -> None:
    """Two runs of one scenario and seed are identical, record for record."""
    for name in ("jobs", "attempts", "instances", "capacity", "timeline"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.summary == b.summary


class RunDidNotStop(AssertionError):
    """A run went on far longer than a small scenario can need (a livelock)."""


@contextmanager
def wall_clock_limit(seconds: float):
    """Raise RunDidNotStop in the block after ``seconds`` of wall time (main thread, Unix).

    NOTE: a livelocked run never returns and its records fill memory on a shared machine; the
    alarm turns that into an ordinary failure that hypothesis can shrink.
    """

    def expire(_signum, _frame):
        raise RunDidNotStop(f"run still going after {seconds} s of wall time")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants_hold_on_random_scenarios(data, seed):
    check_loader_accepts(data)
    with wall_clock_limit(RUN_WALL_LIMIT_S):
        result = run(data, seed=seed)
    check_no_job_lost(data, result)
    check_attempts(data, result)
    check_capacity_bounds(data, result)
    check_capacity_matches_instances(result)
    check_instances(result)
    check_multinode(data, result)
    check_fair_share(data, result)
    check_bill(data, result)
    check_timestamps(result)
    check_attempt_sequence(data, result)
    check_spot(data, result)
    check_arrays(result)
    check_summary(result)
    assert_littles_law(result)
    with wall_clock_limit(RUN_WALL_LIMIT_S):
        again = run(data, seed=seed)
    assert_same_run(result, again)


# ----------------------------------------------------------------------------- regressions
# Engine bugs these properties found, each pinned by its minimal reproduction (fixed in 7b4e961).
def stranding_scenario() -> dict:
    """BEST_FIT fills maxvCpus=4 with two c5.large; a 4-vCPU job arriving later needs c5.xlarge."""
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        allocationStrategy="BEST_FIT", maxvCpus=4, instanceTypes=["c5.large", "c5.xlarge"]
    )
    big = {
        "jobDefinitionName": "big",
        "containerProperties": {
            "image": "img:1",
            "resourceRequirements": [
                {"type": "VCPU", "value": "4"},
                {"type": "MEMORY", "value": "2048"},
            ],
        },
        "simulation": {"runtime": "600s", "startTime": "5s", "imagePullTime": "20s"},
    }
    data["jobDefinitions"].append(big)
    data["workload"] = [
        {
            "name": "a",
            "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"},
            "count": 2,
        },
        {
            "name": "big",
            "submit": {"jobName": "big", "jobQueue": "q", "jobDefinition": "big"},
            "at": "10s",
        },
    ]
    return data


def test_scale_in_that_frees_headroom_lets_waiting_job_scale_out():
    # Was: a scale-in freed maxvCpus headroom but asked for no pass, so the job stayed RUNNABLE.
    result = run(stranding_scenario())
    big = result.jobs.set_index("jobId").loc["big-1"]
    # The two c5.large idle from 725 and scale in at 1025; only then is there room under
    # maxvCpus for the c5.xlarge the 4-vCPU job needs: boot 100, pull 20, start 5, run 600.
    assert (big["status"], big["startingAt"], big["stoppedAt"]) == ("SUCCEEDED", 1125.0, 1750.0)
    assert result.instances["instanceType"].tolist() == ["c5.large", "c5.large", "c5.xlarge"]


def test_attempt_cut_while_starting_has_no_started_at():
    # Was: the unfinished attempt carried the previous attempt's startedAt, and the timeline
    # showed STARTING −1 and two jobs RUNNING.
    data = base_scenario(simulation={"stopAt": "730s"})
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 2}
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 1.0}
    result = run(data)
    # Attempt 1: STARTING 100, RUNNING 125, fails at 725; attempt 2: STARTING 725, cut at 730.
    second = result.attempts.iloc[1]
    assert (second["attempt"], second["startingAt"], second["outcome"]) == (2, 725.0, "unfinished")
    assert pd.isna(second["startedAt"])
    assert (result.timeline[["STARTING", "RUNNING"]] >= 0).all().all()
    assert result.timeline["RUNNING"].max() == 1


@pytest.mark.parametrize(
    ("interval", "delay", "starting_at"),
    [("0s", "0s", 100.0), ("30s", "10s", 120.0)],
    ids=["delay0", "delay_below_interval"],
)
def test_fresh_instance_is_not_scaled_in_before_the_waiting_job_is_placed(
    interval, delay, starting_at
):
    # Was: the idle timer expired before the pass that would place the job (at the end of the
    # same instant, or at the next scheduler tick); the CE relaunched forever, a livelock.
    data = base_scenario(simulation={"schedulerInterval": interval})
    data["computeEnvironments"][0]["simulation"]["scaleDownDelay"] = delay
    with wall_clock_limit(RUN_WALL_LIMIT_S):
        result = run(data)
    a = result.jobs.iloc[0]
    # Ready at 100; the job starts at the first pass from then on and runs 25 + 600 s.
    assert (a["status"], a["startingAt"], a["stoppedAt"]) == (
        "SUCCEEDED",
        starting_at,
        starting_at + 625.0,
    )
    assert len(result.instances) == 1


# ----------------------------------------------------------------------------- Spot: open engine bugs
def spot_floor_scenario() -> dict:
    """The base scenario on SPOT with a one-instance minvCpus floor living a fixed 300 s, less
    than its boot (100 s) plus the scale-down delay (300 s)."""
    data = base_scenario()
    ce = data["computeEnvironments"][0]
    ce["computeResources"].update(type="SPOT", minvCpus=2)
    ce["simulation"]["spot"] = {"lifetime": "300s"}
    data["jobDefinitions"][0]["simulation"]["runtime"] = "10s"
    return data


def test_a_spot_floor_is_refilled_after_each_reclaim():
    data = spot_floor_scenario()
    late = {**data["workload"][0], "name": "late", "at": "800s"}
    data["workload"].append(late)  # keeps the run going past two reclaims of the floor
    result = run(data)
    # The warm floor instance takes the first job (done at 35 s) and is reclaimed at 300; each
    # refill boots 100 s and is reclaimed 300 s after its launch; the late job runs on the
    # third (ready at 700) from 800 to 835, and the run ends there: a refill's idle check does
    # not keep it going.
    assert result.jobs["status"].tolist() == ["SUCCEEDED", "SUCCEEDED"]
    inst = result.instances
    assert inst["launchedAt"].tolist() == [0.0, 300.0, 600.0]
    assert inst["endReason"].tolist() == ["spot_interrupted"] * 2 + ["end_of_run"]
    assert result.summary["end_of_run_s"] == 835.0


def test_a_spot_floor_does_not_keep_a_finished_run_going():
    # The job is done at 35 s; the floor instance is reclaimed at 300 and refilled, but the
    # refill's boot and the idle check of the reclaimed instance no longer keep the run going
    # (the on-demand twin of this scenario ends at 335 s, at the floor's idle check).
    with wall_clock_limit(0.5):  # NOTE: this run takes milliseconds when it ends
        result = run(spot_floor_scenario())
    assert result.summary["end_of_run_s"] == 300.0


# ----------------------------------------------------------------------------- the minvCpus floor
def test_job_blocked_by_the_minvcpus_floor_is_served_or_explained():
    data = base_scenario()
    data["computeEnvironments"][0]["computeResources"].update(
        allocationStrategy="BEST_FIT",
        minvCpus=4,
        maxvCpus=4,
        instanceTypes=["c5.large", "c5.xlarge"],
    )
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"][0]["value"] = "4"
    # The floor is two c5.large (cheapest per vCPU, cheaper per hour than one c5.xlarge); the
    # 4-vCPU job needs a c5.xlarge, which would take the CE to 8 > maxvCpus.
    a = run(data).jobs.iloc[0]
    assert a["status"] == "RUNNABLE"
    assert a["statusReason"].startswith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE")
