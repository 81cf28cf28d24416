"""batchsim sweep on Dask: the same files as the process pool and one worker, failures kept,
--resume, and clear refusals (Dask missing, an unreachable scheduler, workers without batchsim).

One LocalCluster of two workers serves the module (tests reach it by ``--dask ADDRESS``); only
the ``--dask local`` test starts a cluster of its own. Skipped where Dask is not installed,
except the test of the message that says how to install it.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, cli
from test_sweep import random_scenario

import batchsim
from batchsim.errors import DaskUnavailable
from batchsim.sweeps import dask_executor
from batchsim.sweeps import execute as execute_module
from batchsim.sweeps.dask_executor import DaskExecutor
from batchsim.sweeps.runner import run_task

FILES = ("runs.csv", "points.csv")
VARY = ["--vary", "maxvCpus=4,8,16", "--replications", "3", "--deadline", "40m"]


@pytest.fixture(scope="module")
def address() -> str:
    """The scheduler address of a LocalCluster of two one-thread workers, up for the module."""
    pytest.importorskip("distributed")
    cluster = dask_executor.start_local_cluster(2)
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "random.yaml"
    path.write_text(yaml.safe_dump(random_scenario(), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def one_worker(scenario_file, tmp_path_factory) -> Path:
    """The folder of the sweep run in-process (``--workers 1``): the reference."""
    folder = tmp_path_factory.mktemp("dask") / "one"
    assert cli("sweep", str(scenario_file), *VARY, "--workers", "1", "-o", str(folder))[0] == 0
    return folder


def same_files(left: Path, right: Path) -> bool:
    return all((left / name).read_bytes() == (right / name).read_bytes() for name in FILES)


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_dask_cluster_writes_the_files_of_the_pool_and_of_one_worker(
    address, scenario_file, one_worker, tmp_path
):
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    assert cli("sweep", str(scenario_file), *VARY, "--workers", "2", "-o", str(pool))[0] == 0
    status, out, _ = cli("sweep", str(scenario_file), *VARY, "--dask", address, "-o", str(dask))
    assert status == 0 and "9 runs simulated" in out
    assert same_files(dask, one_worker) and same_files(pool, one_worker)


def test_dask_local_starts_its_own_cluster_and_writes_the_same_files(
    scenario_file, one_worker, tmp_path
):
    pytest.importorskip("distributed")
    # NOTE: the command in a process of its own, as a user runs it: forking a cluster's workers
    # from this process while the module's cluster has threads of its own can leave a forked
    # worker waiting forever on a lock one of those threads held (it hung a suite run once)
    argv = ["sweep", str(scenario_file), *VARY, "--dask", "local", "--workers", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "batchsim", *argv, "-o", str(tmp_path / "local"), "-q"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert same_files(tmp_path / "local", one_worker)


def test_dask_executor_yields_every_index_once(address):
    tasks = list(range(-20, 20))
    assert sorted(DaskExecutor(address).map_unordered(abs, tasks)) == [
        (index, abs(task)) for index, task in enumerate(tasks)
    ]


def test_python_api_takes_a_dask_executor(address, scenario_file):
    vary = {"maxvCpus": [4, 8]}
    on_dask = batchsim.sweep(scenario_file, vary, replications=2, executor=DaskExecutor(address))
    in_process = batchsim.sweep(scenario_file, vary, replications=2, workers=1)
    assert on_dask.equals(in_process)
    assert list(on_dask["seed"]) == [1, 2, 1, 2]


def test_a_failed_run_on_dask_is_recorded_and_the_others_run(address, scenario_file, tmp_path):
    folder = tmp_path / "out"
    status, _, err = cli("sweep", str(scenario_file), "--vary", "maxvCpus=16,-4", "--replications",
                         "2", "--dask", address, "-o", str(folder))  # fmt: skip
    assert status == 1 and "2 of 4 runs failed" in err
    rows = read_csv(folder / "runs.csv")
    assert [row["status"] for row in rows] == ["ok", "ok", "error", "error"]
    assert "maxvCpus" in rows[2]["error"] and "at least 0" in rows[2]["error"]
    assert rows[2]["makespan_s"] == "" and rows[0]["makespan_s"] != ""


def test_resume_on_dask_runs_only_the_missing_runs(address, scenario_file, one_worker, tmp_path):
    part = tmp_path / "part"
    shutil.copytree(one_worker, part)
    lines = (part / "runs.csv").read_text().splitlines(keepends=True)
    (part / "runs.csv").write_text("".join(lines[:1] + lines[1:3] + lines[5:8]))  # 5 of 9 kept
    status, out, _ = cli("sweep", str(scenario_file), *VARY, "--dask", address, "-o", str(part),
                         "--resume")  # fmt: skip
    assert status == 0 and "4 runs simulated" in out and "5 resumed" in out
    assert same_files(part, one_worker)


def test_a_worker_lost_midway_keeps_the_finished_runs_for_resume(
    scenario_file, one_worker, tmp_path, monkeypatch
):
    pytest.importorskip("distributed")  # NOTE: before dask.config.set, which needs its defaults
    import dask

    def dying(task):
        if task.seed == 3 and "maxvCpus=16" in task.overrides[-1]:
            os._exit(1)  # the worker process dies, as when the machine reclaims it
        return run_task(task)

    monkeypatch.setattr(execute_module, "run_task", dying)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = dask_executor.start_local_cluster(2)
    try:
        part = tmp_path / "part"
        status, _, err = cli("sweep", str(scenario_file), *VARY, "--dask",
                             cluster.scheduler_address, "-o", str(part))  # fmt: skip
    finally:
        cluster.close()
    assert status == 2 and "failed during the sweep: KilledWorker" in err
    kept = len(read_csv(part / "runs.csv"))
    assert kept < 9 and f"{kept} finished runs kept" in err
    monkeypatch.setattr(execute_module, "run_task", run_task)
    status, out, _ = cli("sweep", str(scenario_file), *VARY, "--workers", "1", "-o", str(part),
                         "--resume")  # fmt: skip
    assert status == 0 and f"{kept} resumed" in out
    assert same_files(part, one_worker)


def test_workers_of_another_batchsim_version_are_refused(
    address, scenario_file, tmp_path, monkeypatch
):
    # NOTE: only this process is patched; the workers answer with the version installed.
    monkeypatch.setattr(dask_executor, "package_version", lambda: "9.9.9")
    status, _, err = cli("sweep", str(scenario_file), *VARY, "--dask", address,
                         "-o", str(tmp_path / "out"))  # fmt: skip
    assert status == 2 and not (tmp_path / "out").exists()
    assert "every Dask worker needs batchsim 9.9.9" in err
    assert err.count("tcp://") == 2  # both workers named


def test_an_unreachable_scheduler_exits_2_with_the_address(scenario_file, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 0.5)
    status, _, err = cli("sweep", str(scenario_file), *VARY, "--dask", "tcp://127.0.0.1:9",
                         "-o", str(tmp_path / "out"))  # fmt: skip
    assert status == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_workers_beside_a_scheduler_address_are_refused(scenario_file, tmp_path):
    status, _, err = cli("sweep", str(scenario_file), *VARY, "--dask", "tcp://127.0.0.1:9",
                         "--workers", "2", "-o", str(tmp_path / "out"))  # fmt: skip
    assert status == 2 and "--workers" in err and "has its own workers" in err


def test_without_dask_the_message_says_how_to_install_it(scenario_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # find_spec now finds nothing
    status, _, err = cli("sweep", str(scenario_file), *VARY, "--dask", "local",
                         "-o", str(tmp_path / "out"))  # fmt: skip
    assert status == 2 and "pip install 'batchsim[dask]'" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(DaskUnavailable, match="not installed"):
        DaskExecutor()
