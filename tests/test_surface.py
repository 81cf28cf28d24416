"""The modelled surface of issue 10, each number computed by hand: allocation sized to the
waiting demand, the ordered strategies, jobStateTimeLimitActions' TERMINATE, unmanagedvCpus and
the infrastructure updates of UpdateComputeEnvironment.

Timings of :func:`conftest.base_scenario`: boot 100 s, image pull 20 s, container start 5 s,
runtime 600 s, scale-in 300 s after the last job. A lone job launched at t ends at t + 725 and its
instance terminates at t + 1,025. Catalog prices (us-east-1 on-demand): c5.large $0.085,
c5.xlarge $0.17, c5.24xlarge $4.08, m5.large $0.096.
"""

from __future__ import annotations

import pytest
from conftest import base_scenario, run

from batchsim.catalog import load_catalog
from batchsim.catalog.spot import advisor_price

CATALOG = load_catalog()
LIFE_S = 1025.0  # one lone job's instance: launch → terminate


def ten_lone_jobs(ctype: str, strategy: str, types: list[str]) -> dict:
    """Ten 1-vCPU / 3,900 MiB jobs, one every 30 min (each alone in the CE), as in the audit."""
    data = base_scenario()
    resources = data["computeEnvironments"][0]["computeResources"]
    resources.update(type=ctype, allocationStrategy=strategy, instanceTypes=types, maxvCpus=256)
    if ctype == "SPOT":
        data["computeEnvironments"][0]["simulation"]["spot"] = {"interruptionRate": "0/h"}
    data["jobDefinitions"][0]["containerProperties"]["resourceRequirements"] = [
        {"type": "VCPU", "value": "1"},
        {"type": "MEMORY", "value": "3900"},
    ]
    submit = {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}
    data["workload"] = [{"name": f"a{i}", "submit": submit, "at": f"{30 * i}m"} for i in range(10)]
    return data


# ----------------------------------------------------------------------------- audit item 2
@pytest.mark.parametrize("strategy", ["BEST_FIT", "BEST_FIT_PROGRESSIVE"])
def test_ten_lone_small_jobs_cost_ten_c5_large_lifetimes_on_demand(strategy):
    # Each job alone gets a c5.large (1 job at $0.085 beats a c5.24xlarge's $4.08 for it):
    # 10 × 1,025 s × $0.085/h = $0.242014 (was $11.62 on c5.24xlarge with BEST_FIT_PROGRESSIVE).
    result = run(ten_lone_jobs("EC2", strategy, ["c5"]))
    assert list(result.instances["instanceType"]) == ["c5.large"] * 10
    assert result.summary["total_cost_usd"] == pytest.approx(10 * LIFE_S * 0.085 / 3600, rel=1e-9)


@pytest.mark.parametrize("strategy", ["SPOT_PRICE_CAPACITY_OPTIMIZED", "SPOT_CAPACITY_OPTIMIZED"])
def test_ten_lone_small_jobs_on_spot_take_the_cheapest_small_pool(strategy):
    # Buckets: c5 sizes 0 or 1, m5.large 3. Both strategies keep c5 pools (PCO: buckets 0 and
    # 1, CO: bucket 0) and one job costs least on a c5.large at its Spot price.
    result = run(ten_lone_jobs("SPOT", strategy, ["c5", "m5"]))
    assert list(result.instances["instanceType"]) == ["c5.large"] * 10
    price = advisor_price(CATALOG.get("c5.large"))
    assert price is not None
    assert result.summary["total_cost_usd"] == pytest.approx(10 * LIFE_S * price / 3600, rel=1e-9)
