"""Record definitions (batchsim/records.py): one place for columns, dtypes and enums.

The DataFrames a user gets have exactly the columns and dtypes of the specs; the enums hold
AWS's names; the engine's old import paths still give the same objects; ``results/`` reads
records without importing the engine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, base_scenario, imported_modules, run

from batchsim import records
from batchsim.engine import job_columns
from batchsim.engine import lifecycle as engine_lifecycle
from batchsim.records import (
    ATTEMPT_TABLE,
    BLOCKED_TABLE,
    CAPACITY,
    INSTANCE_TABLE,
    JOB,
    TIMELINE_TABLE,
    Field,
    InstanceState,
    JobState,
    Outcome,
)
from batchsim.results.tables import TEXT_DTYPE, typed


def _dtype(f: Field):
    """The pandas dtype a spec field promises."""
    return TEXT_DTYPE if f.dtype == "str" else pd.api.types.pandas_dtype(f.dtype)


def _array_run(**changes):
    """Three array children, started at 1.5 s (so no time is a whole number by accident)."""
    data = base_scenario(**changes)
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 3}
    data["workload"][0]["at"] = "1.5s"
    return run(data)


def test_job_states_are_aws_job_status_values_in_lifecycle_order():
    assert [s.value for s in JobState] == [
        "SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED",
    ]  # fmt: skip
    assert {JobState.SUCCEEDED, JobState.FAILED} == records.TERMINAL_STATES


def test_outcomes_and_instance_states_have_their_column_values():
    assert {o.value for o in Outcome} == {
        "succeeded", "failed", "timed_out", "spot_interrupted", "terminated", "unfinished",
        "host_replaced",
    }  # fmt: skip
    assert [s.value for s in InstanceState] == ["booting", "ready", "retiring", "terminated"]


def test_engine_import_paths_give_the_same_enums():
    from batchsim.engine.compute import InstanceState as engine_instance_state
    from batchsim.engine.job import TERMINAL
    from batchsim.engine.job import JobState as engine_job_state
    from batchsim.engine.recorder import Outcome as engine_outcome

    assert engine_job_state is JobState and engine_outcome is Outcome
    assert engine_instance_state is InstanceState and TERMINAL is records.TERMINAL_STATES


def test_every_table_has_the_columns_and_dtypes_of_its_spec():
    result = _array_run()
    tables = {
        "jobs": JOB.fields,
        "attempts": ATTEMPT_TABLE,
        "instances": INSTANCE_TABLE,
        "capacity": CAPACITY.fields,
        "blocked": BLOCKED_TABLE,
        "timeline": TIMELINE_TABLE,
    }
    for name, fields in tables.items():
        frame = getattr(result, name)
        assert list(frame.columns) == [f.name for f in fields], name
        assert list(frame.dtypes) == [_dtype(f) for f in fields], name
    assert len(result.blocked) == 0  # an empty table is typed too


def test_cells_are_plain_strings_not_enum_members():
    result = _array_run()
    status = result.jobs["status"].tolist()
    outcome = result.attempts["outcome"].tolist()
    assert status == ["SUCCEEDED"] * 4 and outcome == ["succeeded"] * 3
    assert {type(v) for v in status + outcome} == {str}


def test_job_values_and_spec_getters_name_every_job_column_once():
    from batchsim.engine.job_columns import SPEC_GETTERS, job_values

    per_job = set(job_values([]))
    assert not per_job & set(SPEC_GETTERS)
    assert per_job | set(SPEC_GETTERS) == set(JOB.names)


def test_jobs_read_in_small_blocks_give_the_same_table(monkeypatch):
    data = base_scenario()
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 5}
    whole = run(data)
    monkeypatch.setattr(job_columns, "JOBS_PER_BLOCK", 2)
    pd.testing.assert_frame_equal(run(data).jobs, whole.jobs, check_exact=True)


@pytest.mark.parametrize(
    "name", ["hourly-jobs-spot-checkpoint", "pattern-pipeline", "genomics-array", "gpu-mix"]
)
def test_jobs_sealed_while_the_run_goes_on_give_the_same_tables(monkeypatch, name):
    # Jobs end out of creation order (varied runtimes, retries, arrays, dependencies); sealed
    # four at a time during the run, rows must still come out in creation order, unchanged.
    import batchsim

    whole = batchsim.simulate(REPO / "scenarios" / f"{name}.yaml")
    monkeypatch.setattr(job_columns, "JOBS_PER_BLOCK", 4)
    sealed = batchsim.simulate(REPO / "scenarios" / f"{name}.yaml")
    pd.testing.assert_frame_equal(sealed.jobs, whole.jobs, check_exact=True)
    pd.testing.assert_frame_equal(sealed.attempts, whole.attempts, check_exact=True)
    assert sealed.summary == whole.summary


def test_a_run_keeps_only_the_jobs_still_under_way(monkeypatch):
    # 2,000 jobs arriving one a minute, each running 10 s on a warm pool: at any time at most
    # a handful are under way, so the recorder holds a few Job objects, not 2,000.
    from batchsim.engine.simulation import Model
    from batchsim.scenario.schema import Scenario

    data = base_scenario()
    data["workload"][0]["arrivals"] = {"times": [60.0 * i for i in range(2000)]}
    data["jobDefinitions"][0]["simulation"] = {"runtime": "10s"}
    monkeypatch.setattr(job_columns, "JOBS_PER_BLOCK", 64)
    model = Model(Scenario.model_validate(data), 1)
    model.elaborate()
    end_at = model.run()
    recorder = model.env.recorder
    assert recorder.jobs_created == 2000
    assert len(recorder.jobs) < 128  # swept whenever the list reaches 64 (or doubles)
    model.finalize(end_at)
    jobs = model.collect(end_at).jobs
    assert jobs["jobId"].tolist() == [f"a-{n}" for n in range(1, 2001)]
    assert (jobs["status"] == "SUCCEEDED").all()


def test_attempts_sealed_in_small_chunks_give_the_same_table(monkeypatch):
    data = base_scenario()
    data["workload"][0]["submit"]["arrayProperties"] = {"size": 7}
    data["jobDefinitions"][0]["simulation"]["failure"] = {"probability": 0.5, "exitCode": 3}
    data["jobDefinitions"][0]["retryStrategy"] = {"attempts": 3}
    whole = run(data, seed=4)
    monkeypatch.setattr(engine_lifecycle, "CHUNK_ROWS", 2)
    chunked = run(data, seed=4)
    assert len(whole.attempts) > 7  # some retries, so several chunks of two
    pd.testing.assert_frame_equal(chunked.attempts, whole.attempts, check_exact=True)
    pd.testing.assert_frame_equal(chunked.jobs, whole.jobs, check_exact=True)


@pytest.mark.parametrize("name", ["hourly-jobs-spot", "genomics-array", "fair-share-teams"])
def test_every_record_kind_sealed_in_small_chunks_gives_the_same_tables(monkeypatch, name):
    # Instances, capacity changes and blocked heads are sealed into columns like attempts:
    # three rows at a time here, the tables and the summary must not change.
    import batchsim
    from batchsim.engine import recorder

    path = REPO / "scenarios" / f"{name}.yaml"
    whole = batchsim.simulate(path)
    monkeypatch.setattr(recorder, "CHUNK_ROWS", 3)
    chunked = batchsim.simulate(path)
    assert len(whole.instances) > 3 and len(whole.capacity) > 3
    for table in ("instances", "capacity", "blocked", "attempts", "jobs"):
        pd.testing.assert_frame_equal(
            getattr(chunked, table), getattr(whole, table), check_exact=True
        )
    assert chunked.summary == whole.summary


def test_whole_numbers_with_gaps_become_int64_with_na_and_a_fraction_keeps_float():
    vcpus = Field("vcpus", "Int64")
    whole = typed(vcpus, np.array([2.0, np.nan, 4.0]))
    assert whole.dtype == pd.Int64Dtype() and whole.tolist() == [2, pd.NA, 4]
    fraction = typed(vcpus, np.array([0.25, 1.0]))
    assert fraction.dtype == np.float64 and fraction.tolist() == [0.25, 1.0]


def test_a_whole_number_no_int64_holds_keeps_float_instead_of_wrapping():
    # A job asking for 1e308 vCPUs validates (it can never run: MISCONFIGURATION); cast to
    # int64 it became -9223372036854775808 in jobs.csv, with a RuntimeWarning.
    vcpus = Field("vcpus", "Int64")
    huge = typed(vcpus, np.array([2.0, 1e308, np.nan]))
    assert huge.dtype == np.float64 and huge[1] == 1e308
    assert typed(vcpus, np.array([2.0**62, 4.0])).dtype == pd.Int64Dtype()


def test_a_number_column_of_python_ints_stays_int64():
    # An instance launched at the integer t=0 wrote "0" to instances.csv, and still does.
    launched = records.as_column(Field("launchedAt", "float64"), [0, 0])
    assert launched.dtype == np.int64
    mixed = records.as_column(Field("launchedAt", "float64"), [0, 2.5, None])
    assert mixed.dtype == np.float64 and np.isnan(mixed[2])


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "batchsim" / "results").glob("*.py")) + [REPO / "batchsim" / "records.py"],
    ids=lambda p: p.name,
)
def test_results_and_records_never_import_the_engine(path):
    forbidden = ("batchsim.engine", "batchsim.api")
    if path.name == "records.py":
        forbidden += ("batchsim.results", "pandas")
    assert not {m for m in imported_modules(ast.parse(path.read_text())) if m.startswith(forbidden)}


def test_results_modules_load_with_the_engine_blocked():
    # batchsim/__init__ imports the API (and so the engine); stand in for the package so only
    # batchsim.results.* and what they import are loaded.
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys, types
        package = types.ModuleType("batchsim")
        package.__path__ = [{str(REPO / "batchsim")!r}]
        sys.modules["batchsim"] = package
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.startswith(("batchsim.engine", "batchsim.api")):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import batchsim.results
        for info in pkgutil.iter_modules(batchsim.results.__path__):
            importlib.import_module("batchsim.results." + info.name)
        print(sorted(m for m in sys.modules if m.startswith("batchsim.engine")))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
