"""Fargate data: packaged us-east-1 rates, per-second task billing and valid VCPU/MEMORY pairs."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from batchsim.catalog import (
    FARGATE_CAPACITIES,
    FARGATE_MINIMUM_BILLED_S,
    FARGATE_VCPU_VALUES,
    FargateRates,
    billed_duration_s,
    combination_problem,
    load_fargate_rates,
    task_cost_usd,
    valid_memory_mib,
)
from batchsim.catalog.fargate import FARGATE_DATA_FILE, parse_fargate_csv

X86 = FargateRates(usd_per_vcpu_hour=0.04048, usd_per_gb_hour=0.004445)

# The Batch API reference, ResourceRequirement.value: VCPU -> (first, last, step) of MEMORY.
RANGES = {
    0.5: (1024, 4096, 1024),
    1: (2048, 8192, 1024),
    2: (4096, 16384, 1024),
    4: (8192, 30720, 1024),
    8: (16384, 61440, 4096),
    16: (32768, 122880, 8192),
}
VALID_PAIRS = [(0.25, m) for m in (512, 1024, 2048)] + [
    (vcpus, m)
    for vcpus, (first, last, step) in RANGES.items()
    for m in range(first, last + 1, step)
]


def packaged_csv_rows() -> list[dict[str, str]]:
    data = resources.files("batchsim.catalog") / "data" / FARGATE_DATA_FILE
    return list(csv.DictReader(data.read_text(encoding="utf-8").splitlines()))


# --- packaged rates ---------------------------------------------------------------------------


def test_packaged_rates_are_the_researched_figures():
    assert load_fargate_rates() == {
        ("FARGATE", "x86_64"): FargateRates(0.04048, 0.004445),
        ("FARGATE", "arm64"): FargateRates(0.03238, 0.00356),
        ("FARGATE_SPOT", "x86_64"): FargateRates(0.01288871, 0.00141527),
    }


def test_packaged_rates_match_the_csv_row_for_row():
    rows = packaged_csv_rows()
    rates = load_fargate_rates()
    assert len(rates) == len(rows)
    for row in rows:
        assert rates[(row["capacity"], row["architecture"])] == FargateRates(
            float(row["usd_per_vcpu_hour"]), float(row["usd_per_gb_hour"])
        )


def test_csv_uses_batch_capacity_names_and_ec2_architecture_names():
    for row in packaged_csv_rows():
        assert row["capacity"] in FARGATE_CAPACITIES
        assert row["architecture"] in {"x86_64", "arm64"}


def test_fargate_spot_has_no_arm64_rate_because_batch_does_not_offer_it():
    assert ("FARGATE_SPOT", "arm64") not in load_fargate_rates()


def test_spot_is_cheaper_than_on_demand():
    rates = load_fargate_rates()
    spot, on_demand = rates[("FARGATE_SPOT", "x86_64")], rates[("FARGATE", "x86_64")]
    assert spot.usd_per_vcpu_hour < on_demand.usd_per_vcpu_hour
    assert spot.usd_per_gb_hour < on_demand.usd_per_gb_hour


def test_load_returns_a_fresh_dict_each_call():
    first = load_fargate_rates()
    first.clear()
    assert len(load_fargate_rates()) == 3


def test_rates_are_frozen():
    with pytest.raises(AttributeError):
        X86.usd_per_vcpu_hour = 1.0  # type: ignore[misc]


def test_parse_fargate_csv_reads_any_text_in_the_format():
    text = "capacity,architecture,usd_per_vcpu_hour,usd_per_gb_hour\nFARGATE,x86_64,1.5,0.25\n"
    assert parse_fargate_csv(text) == {("FARGATE", "x86_64"): FargateRates(1.5, 0.25)}


# --- billing ----------------------------------------------------------------------------------


def test_short_task_is_billed_the_one_minute_minimum():
    # 1 vCPU, 2 GiB for 30 s is billed 60 s: (0.04048 + 2 x 0.004445) / 60.
    assert FARGATE_MINIMUM_BILLED_S == 60.0
    assert task_cost_usd(X86, 1, 2048, 30) == pytest.approx((0.04048 + 0.00889) / 60)
    assert task_cost_usd(X86, 1, 2048, 30) == pytest.approx(0.00082283333)


def test_two_hour_task_is_billed_its_duration():
    # 4 vCPU, 8 GiB for 2 h: (4 x 0.04048 + 8 x 0.004445) x 2 = 0.19748 x 2.
    assert task_cost_usd(X86, 4, 8192, 7200) == pytest.approx(0.39496)


def test_fractional_memory_in_gib():
    # 0.25 vCPU with 512 MiB = 0.5 GB, for one hour.
    assert task_cost_usd(X86, 0.25, 512, 3600) == pytest.approx(0.25 * 0.04048 + 0.5 * 0.004445)


def test_billed_duration_rounds_up_to_a_second_then_applies_the_minimum():
    assert billed_duration_s(0) == 60.0
    assert billed_duration_s(59.5) == 60.0
    assert billed_duration_s(60) == 60.0
    assert billed_duration_s(60.2) == 61.0
    assert billed_duration_s(7200) == 7200.0


def test_cost_uses_the_rounded_up_second():
    assert task_cost_usd(X86, 1, 0, 90.2) == pytest.approx(0.04048 * 91 / 3600)


def test_negative_duration_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        billed_duration_s(-1)


# --- valid VCPU/MEMORY pairs ------------------------------------------------------------------


def test_vcpu_values_are_the_documented_ones():
    assert FARGATE_VCPU_VALUES == (0.25, 0.5, 1, 2, 4, 8, 16)


def test_valid_memory_tables():
    assert valid_memory_mib(0.25) == (512, 1024, 2048)
    assert valid_memory_mib(0.5) == (1024, 2048, 3072, 4096)
    assert valid_memory_mib(1) == (2048, 3072, 4096, 5120, 6144, 7168, 8192)
    assert valid_memory_mib(8) == tuple(range(16384, 61441, 4096))
    assert valid_memory_mib(16)[0] == 32768
    assert valid_memory_mib(16)[-1] == 122880
    assert valid_memory_mib(3) == ()


def test_pair_count_matches_the_batch_reference():
    # 3 + 4 + 7 + 13 + 23 + 12 + 12 documented MEMORY values.
    assert len(VALID_PAIRS) == 74
    assert sum(len(valid_memory_mib(v)) for v in FARGATE_VCPU_VALUES) == 74


@pytest.mark.parametrize(("vcpus", "memory_mib"), VALID_PAIRS)
def test_every_valid_pair_is_accepted(vcpus, memory_mib):
    assert combination_problem(vcpus, memory_mib) is None
    assert combination_problem(float(vcpus), float(memory_mib)) is None


@pytest.mark.parametrize(
    ("vcpus", "memory_mib"),
    [
        (0.25, 256),
        (0.25, 1536),
        (0.25, 3072),
        (0.5, 512),
        (0.5, 5120),
        (1, 1536),
        (1, 1024),
        (1, 9216),
        (2, 3072),
        (2, 17408),
        (4, 7168),
        (4, 31744),
        (8, 18432),
        (8, 12288),
        (8, 65536),
        (16, 36864),
        (16, 131072),
        (16, 24576),
    ],
)
def test_neighbouring_memory_is_rejected(vcpus, memory_mib):
    assert combination_problem(vcpus, memory_mib) is not None


@pytest.mark.parametrize("vcpus", [0, 0.75, 3, 6, 32, -1])
def test_unoffered_vcpu_is_rejected_whatever_the_memory(vcpus):
    assert combination_problem(vcpus, 2048) is not None


# --- messages ---------------------------------------------------------------------------------


def test_message_for_unoffered_vcpu_lists_valid_values():
    assert combination_problem(3, 8192) == (
        "Fargate does not offer 3 vCPU; valid VCPU values: 0.25, 0.5, 1, 2, 4, 8, 16"
    )
    assert "does not offer 0.75 vCPU" in combination_problem(0.75, 2048)


def test_message_for_bad_memory_gives_range_and_step():
    assert combination_problem(1, 1000) == (
        "Fargate with 1 vCPU takes MEMORY 2048\N{EN DASH}8192 MiB in steps of 1024; got 1000"
    )
    assert combination_problem(1, 1536) == (
        "Fargate with 1 vCPU takes MEMORY 2048\N{EN DASH}8192 MiB in steps of 1024; got 1536"
    )


def test_message_for_bad_memory_at_8_and_16_vcpu():
    assert combination_problem(8, 18432) == (
        "Fargate with 8 vCPU takes MEMORY 16384\N{EN DASH}61440 MiB in steps of 4096; got 18432"
    )
    assert combination_problem(16, 131072) == (
        "Fargate with 16 vCPU takes MEMORY 32768\N{EN DASH}122880 MiB in steps of 8192; got 131072"
    )


def test_message_for_quarter_vcpu_lists_its_three_values():
    assert combination_problem(0.25, 4096) == (
        "Fargate with 0.25 vCPU takes MEMORY 512, 1024 or 2048 MiB; got 4096"
    )


def test_message_keeps_fractional_memory_readable():
    assert combination_problem(2, 4096.5).endswith("got 4096.5")
