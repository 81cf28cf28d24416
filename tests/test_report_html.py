"""report.html: its sections and figures, the aggregates behind its plots, determinism, and a
real browser (headless Chromium) loading it with no console error and no network request."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chromium import find_chromium, visit
from conftest import TINY_YAML, base_scenario, cli, run

from batchsim.results import bins, html, html_report, plots
from batchsim.results.formats import format_duration, format_usd

PRICE_PER_HOUR = 0.085  # c5.large, us-east-1 on-demand (the packaged catalog)
SECTIONS = ("summary", "capacity", "jobs-by-state", "instances", "cost", "waits", "workloads",
            "blocked")  # fmt: skip


def three_entries() -> dict:
    """One job (a), an array of 3 (b) and a job asking 300,000 MiB that no c5.large can hold
    (big), on c5.large (2 vCPUs) with 100 s boots: a and b's children each get an instance at
    t=100 and run 600 s after 25 s of pull and start; each instance is idle 300 s, then ends."""

    def entry(name: str, **submit) -> dict:
        return {"name": name, "submit": {"jobName": name, "jobQueue": "q",
                                         "jobDefinition": "work", **submit}}  # fmt: skip

    memory = {"resourceRequirements": [{"type": "MEMORY", "value": "300000"}]}
    return base_scenario(workload=[entry("a"), entry("b", arrayProperties={"size": 3}),
                                   entry("big", containerOverrides=memory)])  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return run(three_entries())


@pytest.fixture(scope="module")
def page(result) -> str:
    images = {name: html.png_bytes(f) for name, f in plots.standard_figures(
        result.timeline, result.attempts).items()}  # fmt: skip
    return html_report.render_html(result, images)


def section(page: str, anchor: str) -> str:
    match = re.search(f'<section id="{anchor}">(.*?)</section>', page, re.S)
    assert match, f"no section {anchor}"
    return match.group(1)


def table_rows(fragment: str) -> list[list[str]]:
    body = re.findall(r"<tbody>(.*?)</tbody>", fragment, re.S)
    return [
        [unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for part in body
        for row in re.findall(r"<tr>(.*?)</tr>", part)
    ]


# ----------------------------------------------------------------------------- content
def test_every_section_is_there_in_order_and_no_doctor_section_without_findings(page):
    found = re.findall(r'<section id="([^"]+)">', page)
    assert found == list(SECTIONS)


def test_cards_carry_the_summary_values_exactly(result, page):
    cards = dict(re.findall(r'data-key="([^"]+)" data-value="([^"]+)"', page))
    summary = result.summary
    hand_cost = 4 * 1025 * PRICE_PER_HOUR / 3600  # four instances, launch at 0 to end at 1025 s
    assert cards.keys() >= {"total_cost_usd", "jobs_total", "queue_wait_s.p50", "utilization"}
    assert float(cards["total_cost_usd"]) == summary["total_cost_usd"] == pytest.approx(hand_cost)
    assert int(cards["jobs_total"]) == summary["jobs_total"] == 5
    assert float(cards["queue_wait_s.p50"]) == summary["queue_wait_s"]["p50"] == 100.0
    assert float(cards["queue_wait_s.p95"]) == 100.0
    assert (
        float(cards["utilization"]) == summary["utilization"] == pytest.approx(625 / 1025)
    )  # held from STARTING
    text = section(page, "summary")
    assert format_usd(hand_cost) in text and "4 SUCCEEDED, 1 RUNNABLE" in text
    assert "1 never finished" in text and format_duration(100.0) in text


def test_no_makespan_while_a_job_can_never_run(result, page):
    assert result.summary["makespan_s"] is None
    assert 'data-key="makespan_s"' in page and "n/a" in section(page, "summary")


def test_workload_table_counts_jobs_and_waits_per_entry(page):
    rows = table_rows(section(page, "workloads"))
    assert rows == [
        ["a", "1", "1", "0", "0", "1 min 40 s", "1 min 40 s", "1 min 40 s"],
        [
            "b",
            "3",
            "3",
            "0",
            "0",
            "1 min 40 s",
            "1 min 40 s",
            "1 min 40 s",
        ],  # the children, not the parent
        ["big", "1", "0", "0", "1", "n/a", "n/a", "n/a"],
    ]


def test_blocked_jobs_are_listed_by_reason(result, page):
    reason = result.jobs.set_index("jobId").loc["big-1", "statusReason"]
    assert reason.startswith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
    text = section(page, "blocked")
    assert "1 jobs were still RUNNABLE" in text
    assert table_rows(text) == [["q", reason, "1", "big-1"], ["q", reason, "1", "big-1"]]


def test_cost_table_and_curve_end_at_the_bill(result, page):
    rows = table_rows(section(page, "cost"))
    assert rows == [["od", "c5.large", "on-demand", "4", f"{4 * 1025 / 3600:.2f}",
                     format_usd(result.summary["total_cost_usd"])]]  # fmt: skip
    curve = bins.cost_over_time(result.instances, 1025.0)
    assert curve["on-demand"].iloc[-1] == pytest.approx(result.summary["total_cost_usd"], 1e-12)
    assert curve["on-demand"].iloc[0] == 0.0
    # One bill spread evenly: half the time, half the money.
    assert curve["on-demand"].iloc[len(curve) // 2] == pytest.approx(curve.iloc[-1, 0] / 2)


def test_images_are_inline_and_nothing_is_fetched(page):
    assert page.count('src="data:image/png;base64,') == 5  # 3 standard + Gantt + cost
    assert not re.search(r'(src|href)="(?!data:|https://docs)', page)
    assert "default-src 'none'" in page and "<script" not in page


def test_findings_get_a_section_of_their_own(result):
    images = {name: b"png" for name in plots.FILENAMES.values()}
    finding = {"severity": "error", "path": "workload[2]", "line": 7, "message": "never fits",
               "reason": "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
               "link": "https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html"}  # fmt: skip
    page = html_report.render_html(result, images, findings=[finding])
    rows = table_rows(section(page, "doctor"))
    assert rows[0][:4] == ["error", "workload[2]:7", "never fits", finding["reason"]]
    assert f'href="{finding["link"]}"' in rows[0][4]
    clean = html_report.render_html(result, images, findings=[])
    assert "The doctor found nothing to report." in section(clean, "doctor")


def test_write_outputs_passes_findings_to_the_report(result, tmp_path):
    from batchsim.results.writer import write_outputs

    finding = {"severity": "warning", "path": "jobDefinitions[0]", "message": "no timeout"}
    write_outputs(result, tmp_path / "o", events=False, findings=[finding])
    page = (tmp_path / "o" / "report.html").read_text()
    assert table_rows(section(page, "doctor")) == [
        ["warning", "jobDefinitions[0]", "no timeout", "", ""]
    ]


# ----------------------------------------------------------------------------- aggregates
def test_binned_overlap_by_hand():
    edges = np.array([0.0, 10.0, 20.0, 30.0])
    rows = np.array([0, 1, 0, 1, 1])
    starts = np.array([5.0, 0.0, 12.0, -5.0, 25.0])
    ends = np.array([25.0, 30.0, 14.0, 5.0, 40.0])
    weights = np.array([2.0, 1.0, 10.0, 1.0, 1.0])
    grid = bins.binned_overlap(rows, starts, ends, weights, edges, 2)
    # Row 0: [5, 25) × 2 → 10, 20, 10; [12, 14) × 10 → 20 in the middle bin.
    # Row 1: [0, 30) × 1 → 10 each; [-5, 5) cut to [0, 5) → 5; [25, 40) cut to [25, 30) → 5.
    assert grid.tolist() == [[10.0, 40.0, 10.0], [15.0, 10.0, 15.0]]


def test_occupancy_of_one_instance_by_hand():
    result = run(base_scenario())  # one job: STARTING at 100 s, ends at 725 s; instance to 1025 s
    grid = bins.occupancy(result.instances, result.attempts, 1025.0, bins=41)  # 25-s bins
    share = grid.share()[0]
    assert share[4:29].tolist() == [1.0] * 25 and not share[:4].any() and not share[29:].any()
    assert grid.labels == ["c5.large …0001"]


def test_one_long_wait_among_a_hundred_thousand_short_ones_stays_visible():
    waits = np.concatenate([np.zeros(50_000), np.full(50_000, 30.0), [36_000.0]])
    ax = plots.wait_histogram(pd.DataFrame({"queueWaitSeconds": waits})).axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_ylim()[0] < 1
    assert heights[0] == 50_000 and heights[-1] == 1  # zero waits in the first bar; the tail
    assert sum(heights) == len(waits)


def synthetic(instances: int, attempts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Instances of 4 vCPUs each up for 1000 s, ``attempts`` 1-vCPU attempts spread over them,
    every 7th on a reclaimed Spot instance."""
    ids = [f"i-{n:017d}" for n in range(instances)]
    table = pd.DataFrame({
        "instanceId": ids, "instanceType": "c5.xlarge", "lifecycle": "spot", "vcpus": 4,
        "launchedAt": 0.0, "readyAt": 90.0, "terminatedAt": 1000.0, "costUsd": 0.05,
        "endReason": ["spot_interrupted" if n % 7 == 0 else "scale_in" for n in range(instances)],
    })  # fmt: skip
    start = np.linspace(90.0, 900.0, attempts)
    runs = pd.DataFrame({
        "jobId": [f"j{n}" for n in range(attempts)], "instanceId": [ids[n % instances] for n in
        range(attempts)], "vcpus": 1, "startingAt": start, "stoppedAt": start + 50.0,
        "outcome": "succeeded",
    })  # fmt: skip
    return table, runs


def test_a_large_gantt_groups_instances_and_draws_no_glyph_per_job():
    instances, attempts = synthetic(400, 100_000)
    figure = plots.gantt_figure(instances, attempts, 1000.0)
    ax = figure.axes[0]
    assert len(ax.patches) == 0  # one mesh of rows × time bins, no box per job
    assert ax.collections[0].get_array().shape == (bins.MAX_GANTT_ROWS, bins.TIME_BINS)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "#1–10" and labels[-1] == "#391–400"
    reclaim_marks = ax.collections[1].get_offsets()
    assert len(reclaim_marks) == len({n * 40 // 400 for n in range(0, 400, 7)})  # one per row


def test_a_small_gantt_draws_each_attempt_in_its_instance():
    instances, attempts = synthetic(3, 12)
    ax = plots.gantt_figure(instances, attempts, 1000.0).axes[0]
    assert len(ax.collections) == 1  # the reclaim marks only
    assert len(ax.patches) == 3 + 3 + 12  # life bars, boot bars, one box per attempt


# ----------------------------------------------------------------------------- files
@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    (folder / "s.yaml").write_text(TINY_YAML)
    status, _, err = cli("run", str(folder / "s.yaml"), "-o", str(folder / "out"))
    assert status == 0, err
    return folder / "out"


def test_same_scenario_and_seed_give_a_byte_identical_report(run_folder, tmp_path):
    status, _, _ = cli("run", str(run_folder.parent / "s.yaml"), "-o", str(tmp_path / "again"))
    assert status == 0
    assert (tmp_path / "again" / "report.html").read_bytes() == (
        run_folder / "report.html"
    ).read_bytes()


def test_the_run_report_embeds_the_pngs_written_beside_it(run_folder):
    import base64

    text = (run_folder / "report.html").read_text()
    for name in plots.FILENAMES.values():
        encoded = base64.b64encode((run_folder / name).read_bytes()).decode()
        assert f"data:image/png;base64,{encoded}" in text, name


@pytest.fixture(scope="module")
def compare_folder(run_folder) -> Path:
    scenario = run_folder.parent / "s.yaml"
    folder = run_folder.parent / "compare"
    status, _, err = cli("compare", str(scenario), str(scenario), "--replications", "2",
                         "-o", str(folder))  # fmt: skip
    assert status == 0, err
    return folder


@pytest.fixture(scope="module")
def sweep_folder(run_folder) -> Path:
    folder = run_folder.parent / "sweep"
    status, _, err = cli("sweep", str(run_folder.parent / "s.yaml"), "--vary",
                         "computeEnvironments[0].computeResources.maxvCpus=8,16",
                         "--replications", "2", "--workers", "1", "-q", "-o", str(folder))  # fmt: skip
    assert status == 0, err
    return folder


def test_the_compare_report_shows_the_terminal_table_and_every_replication(compare_folder):
    from batchsim.compare import METRICS

    page = (compare_folder / "report.html").read_text()
    assert re.findall(r'<section id="([^"]+)">', page) == ["scenarios", "table", "plot"]
    rows = table_rows(section(page, "table"))
    assert [row[0] for row in rows] == [metric.label for metric in METRICS]
    # The same scenario twice on the same seeds: every paired difference is exactly zero.
    assert rows[0][1] == rows[0][2] and rows[0][3] == "$0.0000 ± 0.0000"
    assert page.count('src="data:image/png;base64,') == 1


def test_the_sweep_report_shows_the_points_and_the_plot(sweep_folder):
    page = (sweep_folder / "report.html").read_text()
    rows = table_rows(section(page, "points"))
    assert [row[:2] for row in rows] == [["0", "8"], ["1", "16"]]
    assert all(row[2] == "2/2" for row in rows)
    assert page.count('src="data:image/png;base64,') == 1  # one factor: no heat map


# ----------------------------------------------------------------------------- the browser
@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_chromium_loads_the_report_without_errors_or_requests(kind, request):
    from PIL import Image

    path = request.getfixturevalue(f"{kind}_folder") / "report.html"
    seen = visit(path, width=1280, height=1600)
    assert seen.errors == []
    assert [u for u in seen.requests if not u.startswith("data:")] == [path.resolve().as_uri()]
    image = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    assert image.size == (1280, 1600)
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) > 500  # text, plot lines and anti-aliasing, not a blank page
    assert max(count for count, _ in colours) < 0.8 * 1280 * 1600  # not one flat background
