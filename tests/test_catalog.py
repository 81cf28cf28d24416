"""The packaged EC2 catalog: exact figures from the data, family and special-value expansion,
custom types, the CLI table and the refresh script."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from batchsim.catalog import (
    CATALOG_SOURCE,
    Catalog,
    InstanceType,
    UnknownInstanceType,
    format_table,
    load_catalog,
    refresh,
)
from batchsim.errors import BatchsimError

SHARED_CSV = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "ec2_instance_catalog_us-east-1.csv"
)
C5_SIZES = [
    "c5.large",
    "c5.xlarge",
    "c5.2xlarge",
    "c5.4xlarge",
    "c5.9xlarge",
    "c5.12xlarge",
    "c5.18xlarge",
    "c5.24xlarge",
]


@dataclass
class Custom:
    """Stands in for ``batchsim.scenario.schema.CustomInstanceType`` (same attribute names)."""

    instanceType: str
    vcpus: int
    memory: float
    gpus: int = 0
    architecture: str = "x86_64"
    onDemandPricePerHour: float = 0.1
    spotSavingsPercent: float | None = None
    interruptionBucket: int | None = None


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def names(types: list[InstanceType]) -> list[str]:
    return [t.name for t in types]


# ----------------------------------------------------------------------------- data
def test_c5_large_matches_the_csv(catalog: Catalog) -> None:
    assert catalog.get("c5.large") == InstanceType(
        name="c5.large",
        family="c5",
        vcpus=2,
        memory_mib=4096,
        gpus=0,
        architecture="x86_64",
        on_demand_price_per_hour=0.085,
        spot_savings_pct=59.0,
        interruption_bucket=0,
    )


def test_price_per_vcpu_hour(catalog: Catalog) -> None:
    assert catalog.get("c5.4xlarge").price_per_vcpu_hour == pytest.approx(0.68 / 16)
    assert catalog.get("m5.large").price_per_vcpu_hour == pytest.approx(0.048)


def test_gpu_types(catalog: Catalog) -> None:
    g4dn = catalog.get("g4dn.xlarge")
    assert (g4dn.gpus, g4dn.gpu_name, g4dn.vcpus, g4dn.memory_mib) == (1, "t4", 4, 16384)
    assert g4dn.on_demand_price_per_hour == 0.526
    assert catalog.get("g4dn.12xlarge").gpus == 4
    assert catalog.get("p3.16xlarge").gpus == 8
    assert catalog.get("c5.large").gpu_name is None


def test_arm64_and_missing_spot_data(catalog: Catalog) -> None:
    graviton = catalog.get("c7g.large")
    assert graviton.architecture == "arm64"
    no_advice = catalog.get("c9g.12xlarge")
    assert (no_advice.spot_savings_pct, no_advice.interruption_bucket) == (None, None)
    assert no_advice.interruption_label is None
    assert catalog.get("c7i.large").interruption_label == ">20%"


def test_row_counts(catalog: Catalog) -> None:
    everything = catalog.all()
    assert len(everything) == len(catalog) == 1352
    assert sum(t.architecture == "arm64" for t in everything) == 396
    assert sum(t.gpus > 0 for t in everything) == 68
    assert names(everything) == sorted(names(everything))


def test_unpriced_types_are_absent(catalog: Catalog) -> None:
    assert catalog.get("hpc7a.96xlarge") is None
    assert catalog.get("p5e.48xlarge") is None
    assert catalog.family("x8aedz") == []


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_catalog_source_is_one_line_with_dates() -> None:
    assert "\n" not in CATALOG_SOURCE
    assert "2026-07-20" in CATALOG_SOURCE and "2025-06" in CATALOG_SOURCE


# ----------------------------------------------------------------------------- families
def test_family_excludes_metal_and_sorts_by_size(catalog: Catalog) -> None:
    assert names(catalog.family("c5")) == C5_SIZES
    assert catalog.get("c5.metal").is_metal


def test_m5_family_has_no_metal(catalog: Catalog) -> None:
    m5 = catalog.family("m5")
    assert m5 and not any(t.is_metal for t in m5)
    assert "m5.metal" not in names(m5)
    assert catalog.get("m5.metal") is not None


def test_numbered_metal_sizes_are_metal(catalog: Catalog) -> None:
    c7i = names(catalog.family("c7i"))
    assert "c7i.metal-24xl" not in c7i and "c7i.metal-48xl" not in c7i
    assert c7i[-1] == "c7i.48xlarge"


def test_unknown_family_is_empty(catalog: Catalog) -> None:
    assert catalog.family("zz9") == []


# ----------------------------------------------------------------------------- resolve
def test_resolve_family_is_exactly_the_non_metal_sizes(catalog: Catalog) -> None:
    assert set(names(catalog.resolve(["c5"]))) == set(C5_SIZES)


def test_resolve_sorts_by_price_then_vcpus_then_name(catalog: Catalog) -> None:
    resolved = catalog.resolve(["m5", "c5", "t3"])
    keys = [(t.on_demand_price_per_hour, t.vcpus, t.name) for t in resolved]
    assert keys == sorted(keys)
    assert resolved[0].name == "t3.nano"


def test_resolve_deduplicates(catalog: Catalog) -> None:
    resolved = names(catalog.resolve(["c5", "c5.large", "c5"]))
    assert resolved.count("c5.large") == 1
    assert len(resolved) == len(C5_SIZES)


def test_resolve_exact_metal_type(catalog: Catalog) -> None:
    assert names(catalog.resolve(["c5.metal"])) == ["c5.metal"]


def test_optimal_equals_default_x86_64(catalog: Catalog) -> None:
    optimal = catalog.resolve(["optimal"])
    assert optimal == catalog.resolve(["default_x86_64"])
    assert {t.family for t in optimal} == {"m6i", "c6i", "r6i", "c7i"}
    assert len(optimal) == 4 * 9  # large … 32xlarge (48xlarge for c7i), metal sizes left out
    assert all(t.architecture == "x86_64" and not t.is_metal for t in optimal)


def test_default_arm64(catalog: Catalog) -> None:
    arm = catalog.resolve(["default_arm64"])
    assert {t.family for t in arm} == {"m6g", "c6g", "r6g", "c7g"}
    assert all(t.architecture == "arm64" for t in arm)
    assert arm[0].name == "c6g.medium"


def test_unknown_entry_suggests_close_matches(catalog: Catalog) -> None:
    with pytest.raises(UnknownInstanceType) as caught:
        catalog.resolve(["c5", "c5.larg"])
    assert isinstance(caught.value, BatchsimError)
    assert caught.value.entry == "c5.larg"
    assert "c5.large" in caught.value.suggestions
    assert "'c5.larg'" in str(caught.value) and "'c5.large'" in str(caught.value)


def test_unknown_family_and_special_value_suggestions(catalog: Catalog) -> None:
    with pytest.raises(UnknownInstanceType, match="'c5n'"):
        catalog.resolve(["c5nn"])
    with pytest.raises(UnknownInstanceType, match="'optimal'"):
        catalog.resolve(["optimla"])


# ----------------------------------------------------------------------------- custom types
def test_custom_type_joins_its_family_and_resolve(catalog: Catalog) -> None:
    mixed = catalog.with_custom([Custom("onprem.big", vcpus=64, memory=262144.0, gpus=2)])
    big = mixed.get("onprem.big")
    assert (big.family, big.vcpus, big.memory_mib, big.gpus, big.custom) == (
        "onprem",
        64,
        262144,
        2,
        True,
    )
    assert names(mixed.resolve(["onprem"])) == ["onprem.big"]
    assert "onprem.big" in names(mixed.resolve(["c5", "onprem.big"]))
    assert catalog.get("onprem.big") is None  # the shared catalog is untouched


def test_custom_type_shadows_catalog_type(catalog: Catalog) -> None:
    cheap = Custom(
        "c5.large",
        vcpus=2,
        memory=4096,
        onDemandPricePerHour=0.01,
        spotSavingsPercent=50,
        interruptionBucket=1,
    )
    mixed = catalog.with_custom([cheap])
    assert mixed.get("c5.large").on_demand_price_per_hour == 0.01
    assert mixed.get("c5.large").interruption_label == "5-10%"
    assert len(mixed) == len(catalog)
    resolved = mixed.resolve(["c5"])
    assert resolved[0].name == "c5.large" and resolved[0].custom
    assert catalog.get("c5.large").on_demand_price_per_hour == 0.085


def test_custom_memory_is_truncated_to_whole_mib(catalog: Catalog) -> None:
    mixed = catalog.with_custom([Custom("lab.odd", vcpus=3, memory=1536.9)])
    assert mixed.get("lab.odd").memory_mib == 1536


# ----------------------------------------------------------------------------- table
def test_format_table(catalog: Catalog) -> None:
    lines = format_table([catalog.get("c5.large"), catalog.get("c9g.12xlarge")]).splitlines()
    assert lines[0].split() == [
        "type", "vCPU", "memory", "GiB", "GPUs", "arch", "$/h", "on-demand", "$/vCPU-h",
        "spot", "savings", "%", "interruption",
    ]  # fmt: skip
    assert lines[1].split() == [
        "c5.large",
        "2",
        "4",
        "0",
        "x86_64",
        "0.0850",
        "0.04250",
        "59",
        "<5%",
    ]
    assert lines[2].split() == [
        "c9g.12xlarge", "48", "96", "0", "arm64", "2.0866", "0.04347", "-", "-",
    ]  # fmt: skip
    assert lines[1].index("x86_64") == lines[2].index("arm64") == lines[0].index("arch")
    assert lines[1].index("<5%") == lines[0].index("interruption")
    assert lines[1].index("0.0850") + len("0.0850") == lines[2].index("2.0866") + len("2.0866")


def test_format_table_fractional_gib_and_empty(catalog: Catalog) -> None:
    assert format_table([catalog.get("t3.nano")]).splitlines()[1].split()[2] == "0.5"
    assert len(format_table([]).splitlines()) == 1


# ----------------------------------------------------------------------------- refresh
def test_packaged_csv_equals_refresh_output() -> None:
    if not SHARED_CSV.exists():
        pytest.skip("the shared reference data (../shared/data) is not present")
    packaged = resources.files("batchsim.catalog") / "data" / "ec2_us-east-1.csv"
    assert packaged.read_text(encoding="utf-8") == refresh.build(SHARED_CSV)


def test_refresh_drops_unpriced_rows_and_renames_columns(tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    header = [*refresh.SOURCE_COLUMNS, "extra"]
    source.write_text(
        ",".join(header) + "\n"
        "x1.large,x1,2,4096,0,,x86_64,0.100000,40,2,ignored\n"
        "x1.xlarge,x1,4,8192,0,,x86_64,,,,ignored\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert refresh.main([str(source), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "instance_type,family,vcpu,memory_mib,gpu_count,gpu_name,arch,"
        "ondemand_linux_usd_per_hour,spot_savings_pct,spot_interruption_index",
        "x1.large,x1,2,4096,0,,x86_64,0.100000,40,2",
    ]


def test_refresh_reports_missing_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("instance_type,vcpu\nx1.large,2\n", encoding="utf-8")
    assert refresh.main([str(source), "--output", str(tmp_path / "out.csv")]) == 1
    assert "missing columns" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
