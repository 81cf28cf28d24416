"""Writing results fast and safely: the CSV fast path, events beyond year 9999, which runs get
events.jsonl by default, and the progress line (with a fake terminal and a fake clock)."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_YAML, base_scenario

import batchsim
from batchsim.cli import ExitStatus, main
from batchsim.observer import RunSample
from batchsim.results import events as ev
from batchsim.results import writer
from batchsim.results.progress import (
    CLEAR,
    Progress,
    expected_jobs,
    format_sim_time,
    format_wall,
)
from batchsim.scenario.schema import Scenario

FAR_FUTURE = (
    TINY_YAML.replace("name: tiny", "name: far-future")
    .replace("maxvCpus: 8", "maxvCpus: 2")
    .replace("runtime: 600s", "runtime: {RUNTIME}")
    .replace("  - name: a\n", "  - name: a\n    count: {COUNT}\n")
)


class FakeTty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------- CSV
def tricky_frame(rows: int = 7) -> pd.DataFrame:
    """Every kind of cell the tables hold, and some they might: NaN, inf, -0.0, huge and tiny
    floats, nullable ints, text with commas, quotes and line breaks, None in object columns."""
    floats = [0.1 + 0.2, float("nan"), -0.0, 1e16, 1e-7, float("inf"), 123456789.125]
    return pd.DataFrame(
        {
            "t": (floats * rows)[:rows],
            "n": pd.array(([1, None, 3, -4, 5, 6, 10**12] * rows)[:rows], dtype="Int64"),
            "i": np.arange(rows, dtype=np.int64),
            "b": [k % 2 == 0 for k in range(rows)],
            "s": pd.array((["a", None, "b c", "é", "x", "y", "z"] * rows)[:rows], dtype="str"),
            "o": ([None, 2.5, None, "q", None, 7, None] * rows)[:rows],
        }
    )


def to_csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


@pytest.mark.parametrize("chunk_rows", [2, 3, 65536])
def test_write_csv_gives_exactly_the_bytes_of_pandas_to_csv(tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(writer, "CSV_CHUNK_ROWS", chunk_rows)
    frame = tricky_frame(7)
    path = writer.write_csv(tmp_path / "t.csv", frame)
    assert path.read_text() == to_csv_text(frame)
    lines = path.read_text().splitlines()
    assert lines[1:5] == [
        "0.30000000000000004,1,0,True,a,",
        ",,1,False,,2.5",
        "-0.0,3,2,True,b c,",
        "1e+16,-4,3,False,é,q",
    ]


@pytest.mark.parametrize(
    "values",
    [
        [1e-4, 9.999e-5, 0.0, -0.0, 1e16, 9999999999999998.0, 5e-324, 1.7976931348623157e308],
        [1e-4, 0.1 + 0.2, 1.5e15, -123.456, 0.0, float("nan"), 64.0, 2.0**52 + 0.5],
        [float("-inf"), 1.0, 2.5],
        [float("nan"), float("nan"), float("nan")],
    ],
)
def test_floats_are_written_as_repr_on_both_sides_of_the_fast_range(tmp_path, values):
    frame = pd.DataFrame({"x": values, "y": range(len(values))})
    text = writer.write_csv(tmp_path / "f.csv", frame).read_text()
    assert text == to_csv_text(frame)
    cells = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert cells == ["" if math.isnan(v) else repr(v) for v in values]


def test_other_column_types_are_left_to_pandas(tmp_path):
    frame = pd.DataFrame(
        {
            "f32": np.array([0.1, 2.5, np.nan], dtype=np.float32),
            "when": pd.to_datetime(["2026-01-01", None, "2026-01-03"]),
            "n": [1, 2, 3],
        }
    )
    text = writer.write_csv(tmp_path / "o.csv", frame).read_text()
    assert text == to_csv_text(frame) == "f32,when,n\n0.1,2026-01-01,1\n2.5,,2\n,2026-01-03,3\n"


def test_random_floats_of_every_magnitude_are_written_as_repr(tmp_path):
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.random(2000) * 10.0**k for k in range(-5, 17)])
    frame = pd.DataFrame({"x": values, "y": -values})
    text = writer.write_csv(tmp_path / "r.csv", frame).read_text()
    assert text.splitlines()[1:] == [f"{v!r},{-v!r}" for v in values.tolist()]


@pytest.mark.parametrize("text", ["a,b", 'say "hi"', "two\nlines", "cr\rhere"])
def test_write_csv_quotes_cells_as_the_csv_module_does(tmp_path, monkeypatch, text):
    monkeypatch.setattr(writer, "CSV_CHUNK_ROWS", 2)
    frame = tricky_frame(5)
    frame.loc[3, "s"] = text
    assert writer.write_csv(tmp_path / "t.csv", frame).read_bytes().decode() == to_csv_text(frame)


def test_write_csv_of_a_run_matches_pandas_for_every_table(tmp_path):
    data = base_scenario()
    data["workload"][0]["count"] = 5
    result = batchsim.simulate(Scenario.model_validate(data))
    for name in writer.TABLES:
        frame = getattr(result, name)
        text = writer.write_csv(tmp_path / f"{name}.csv", frame).read_text()
        assert text == to_csv_text(frame), name


# ------------------------------------------------------------------------------- time
@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.0, "2026-01-01T00:00:00Z"),
        (86399.999, "2026-01-01T23:59:59Z"),
        # 2026-01-01 + 2,920,433 days is the last day of 9999 (Hinnant's algorithm, by hand:
        # 7,974 years from 2026 hold 1,933 leap days: 7,974 × 365 + 1,933 = 2,912,443 days to
        # 10000-01-01, so 2,912,443 days + 1 s lands on 10000-01-01T00:00:01).
        (2_912_443 * 86400 - 1.0, "9999-12-31T23:59:59Z"),
        (2_912_443 * 86400 + 1.0, "+010000-01-01T00:00:01Z"),
        (3_000_000 * 86400 + 3661.5, "+010239-09-22T01:01:01Z"),
    ],
)
def test_iso_time_is_exact_on_both_sides_of_year_9999(seconds, expected):
    assert ev.iso_time(seconds) == expected


def far_future_events(tmp_path, runtime: str, count: int) -> list[dict]:
    """Run FAR_FUTURE through the CLI in-process; return its events (it must succeed)."""
    scenario = tmp_path / "far.yaml"
    scenario.write_text(FAR_FUTURE.replace("{RUNTIME}", runtime).replace("{COUNT}", str(count)))
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(scenario), "-o", str(tmp_path / "o")], out, err)
    assert (status, err.getvalue()) == (ExitStatus.SUCCESS, "")
    lines = (tmp_path / "o" / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_job_running_3000000_days_is_refused_with_its_line(tmp_path):
    """The issue's crash (``runtime: 3000000d``) is now a single duration over the 1e10 s cap:
    exit 2 naming the line, not a traceback after validation passed."""
    scenario = tmp_path / "far.yaml"
    scenario.write_text(FAR_FUTURE.replace("{RUNTIME}", "3000000d").replace("{COUNT}", "1"))
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(scenario), "-o", str(tmp_path / "o")], out, err)
    assert status == ExitStatus.INVALID_SCENARIO
    assert "runtime (line " in err.getvalue() and "Traceback" not in err.getvalue()
    assert not (tmp_path / "o").exists()


def test_thirty_long_jobs_in_a_row_end_after_year_9999_with_exact_events(tmp_path):
    """Each runtime is under 1e10 s, but one 2-vCPU instance runs the 30 jobs one by one."""
    events = far_future_events(tmp_path, "9000000000", 30)
    assert len(events) == 4 * 30
    # The first job runs from 125 s (boot 100, pull 20, start 5); each next one starts on the
    # freed instance (image cached: start 5 s), so job 30 stops at 125 + 30 × 9e9 + 29 × 5.
    stopped_s = 125 + 30 * 9_000_000_000 + 29 * 5
    assert stopped_s == 3_125_000 * 86400 + 270  # day 3,125,000 after t = 0, at 00:04:30
    # 3,125,000 days = 21 Gregorian cycles of 146,097 days (8,400 years) + 56,963 days, and
    # 2026-01-01 + 56,963 days is 2181-12-17; 2181 + 8,400 = 10581.
    assert events[-1]["time"] == "+010581-12-17T00:04:30Z"
    assert events[-1]["detail"]["stoppedAt"] == ev.EPOCH_MS + stopped_s * 1000
    assert events[-1]["detail"]["jobId"] == "a-30"


# ------------------------------------------------------------------------------- events
def test_events_file_is_chosen_by_the_estimated_event_count(monkeypatch, tmp_path):
    data = base_scenario()
    data["workload"][0]["count"] = 3
    result = batchsim.simulate(Scenario.model_validate(data))
    # 3 jobs, one attempt each: RUNNABLE, STARTING, RUNNING, SUCCEEDED.
    assert writer.estimated_events(result) == 12
    monkeypatch.setattr(writer, "EVENTS_BY_DEFAULT_MAX", 12)
    assert writer.events_by_default(result)
    names = {p.name for p in result.write(tmp_path / "small")}
    assert "events.jsonl" in names
    monkeypatch.setattr(writer, "EVENTS_BY_DEFAULT_MAX", 11)
    assert not writer.events_by_default(result)
    assert "events.jsonl" not in {p.name for p in result.write(tmp_path / "big")}
    assert "events.jsonl" in {p.name for p in result.write(tmp_path / "asked", events=True)}


def cli_run(tmp_path, *flags: str) -> tuple[int, str, str]:
    scenario = tmp_path / "s.yaml"
    data = base_scenario()
    data["workload"][0]["count"] = 3
    scenario.write_text(json.dumps(data))  # JSON is YAML
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(scenario), "-o", str(tmp_path / "o"), *flags], out, err)
    return status, out.getvalue(), err.getvalue()


def test_a_run_over_the_limit_skips_events_and_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "EVENTS_BY_DEFAULT_MAX", 11)
    status, out, _ = cli_run(tmp_path)
    assert status == ExitStatus.SUCCESS
    assert "events.jsonl not written: about 12 events, over 11; add --events to write it\n" in out
    assert not (tmp_path / "o" / "events.jsonl").exists()
    status, out, _ = cli_run(tmp_path, "--events")
    assert "not written" not in out
    assert len((tmp_path / "o" / "events.jsonl").read_text().splitlines()) == 12


def test_events_and_no_events_cannot_be_given_together(tmp_path):
    status, _, _ = cli_run(tmp_path, "--events", "--no-events")
    assert status == ExitStatus.INVALID_SCENARIO


def test_write_events_streams_lines_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "EVENTS_CHUNK", 2)
    path = writer.write_events(tmp_path / "e.jsonl", ['{"a":1}', '{"b":"é"}', "{}"])
    assert path.read_bytes() == '{"a":1}\n{"b":"é"}\n{}\n'.encode()


# ------------------------------------------------------------------------------- progress
def test_progress_line_shows_simulated_time_jobs_rate_and_eta():
    clock, stream = FakeClock(), FakeTty()
    progress = Progress(stream, total_jobs=1000, clock=clock)
    samples = iter([RunSample(90061.0, 500, 250)])
    progress._sample = lambda: next(samples)  # what start() installs, without its thread
    progress.started_at = clock.now
    clock.now += 5.0  # 250 jobs in 5 s: 50/s, 750 left: 15 s
    progress.tick()
    line = "simulated 1d 01:01:01 · 250/1,000 jobs done (25%) · 50/s · ETA 15 s"
    assert stream.getvalue() == CLEAR + line


def test_progress_without_a_known_total_counts_submissions_and_attempts():
    clock = FakeClock()
    progress = Progress(FakeTty(), total_jobs=None, clock=clock)
    clock.now += 2.0
    line = progress.render(RunSample(59.0, 1200, 1000))
    assert line == "simulated 00:00:59 · 1,200 jobs submitted, 1,000 attempts ended · 500/s"


def test_progress_caps_retried_attempts_at_the_total():
    clock = FakeClock()
    progress = Progress(FakeTty(), total_jobs=10, clock=clock)
    clock.now += 1.0
    assert "10/10 jobs done (100%) · 10/s · ETA 0 s" in progress.render(RunSample(0.0, 10, 13))


def test_progress_thread_stops_and_phases_and_close_redraw_one_line():
    stream = FakeTty()
    progress = Progress(stream, total_jobs=4, clock=FakeClock(), interval_s=3600.0)
    progress.start(lambda: RunSample(0.0, 0, 0))
    progress.stop()  # wakes the sleeping thread and joins it; an hour-long wait never ends
    progress.phase("writing events.jsonl")
    progress.close()
    assert stream.getvalue() == (
        f"{CLEAR}building tables and metrics …{CLEAR}writing events.jsonl …{CLEAR}"
    )


def test_the_cli_draws_progress_only_on_a_terminal_and_not_when_quiet(tmp_path, monkeypatch):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(json.dumps(base_scenario()))
    for err, flags, shown in ((FakeTty(), [], True), (FakeTty(), ["-q"], False)):
        status = main(["run", str(scenario), "-o", str(tmp_path / "o"), *flags], io.StringIO(), err)
        assert status == ExitStatus.SUCCESS
        text = err.getvalue()
        assert ("writing 14 files …" in text) is shown
        assert text == "" or text.endswith(CLEAR)  # the line is erased at the end
    _, _, err = cli_run(tmp_path)  # a StringIO is no terminal
    assert err == ""


def test_expected_jobs_counts_array_children_and_gives_up_on_schedules():
    data = base_scenario()
    data["workload"] = [
        {"name": "a", "count": 3, "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}},
        {
            "name": "arr",
            "submit": {
                "jobName": "arr", "jobQueue": "q", "jobDefinition": "work",
                "arrayProperties": {"size": 5},
            },
            "arrivals": {"times": [0, 60]},
        },
        {
            "name": "p",
            "submit": {"jobName": "p", "jobQueue": "q", "jobDefinition": "work"},
            "arrivals": {"poisson": {"rate": "10/h"}, "count": 7},
        },
    ]  # fmt: skip
    assert expected_jobs(Scenario.model_validate(data)) == 3 + 2 * 5 + 7
    data["workload"].append(
        {
            "name": "s",
            "submit": {"jobName": "s", "jobQueue": "q", "jobDefinition": "work"},
            "schedule": "rate(1 hour)",
            "until": "3h",
        }
    )
    assert expected_jobs(Scenario.model_validate(data)) is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(59.4, "59 s"), (61, "1 min 01 s"), (7260, "2 h 01 min")]
)
def test_wall_durations_are_short(seconds, text):
    assert format_wall(seconds) == text


def test_simulated_time_shows_days_only_when_there_are_some():
    assert format_sim_time(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3d 04:05:06"
    assert format_sim_time(math.pi) == "00:00:03"
