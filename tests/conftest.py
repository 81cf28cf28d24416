"""Shared test helpers: build small scenarios in Python and run them."""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

import batchsim
from batchsim.scenario.schema import Scenario

# NOTE: the suite (and so CI) draws the same examples every run, so main stays green unless the
# code changes; `pytest --hypothesis-profile=explore tests/test_properties*.py` searches anew.
settings.register_profile("suite", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("suite")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TINY_YAML = """\
name: tiny
computeEnvironments:
  - computeEnvironmentName: od
    computeResources: {type: EC2, allocationStrategy: BEST_FIT_PROGRESSIVE, maxvCpus: 8, instanceTypes: [c5.large]}
    simulation: {bootTime: 100s, scaleDownDelay: 300s}
jobQueues:
  - jobQueueName: q
    computeEnvironmentOrder: [{order: 1, computeEnvironment: od}]
jobDefinitions:
  - jobDefinitionName: work
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "2"}, {type: MEMORY, value: "2048"}]
    simulation: {runtime: 600s, startTime: 5s, imagePullTime: 20s}
workload:
  - name: a
    submit: {jobName: a, jobQueue: q, jobDefinition: work}
"""
"""A tiny scenario like :func:`base_scenario`'s, as YAML text (for tests that edit the text or
read line numbers): one c5.large CE (maxvCpus 8), one queue, one 2-vCPU job of 600 s."""


def base_scenario(**changes) -> dict:
    """Return a tiny scenario dict: one on-demand c5.large CE, one queue, one 2-vCPU definition.

    Boot 100 s, image pull 20 s, container start 5 s, runtime 600 s, scale-in after 300 s — all
    fixed, so every timestamp can be computed by hand.
    """
    data = {
        "name": "micro",
        "computeEnvironments": [
            {
                "computeEnvironmentName": "od",
                "computeResources": {
                    "type": "EC2",
                    "allocationStrategy": "BEST_FIT_PROGRESSIVE",
                    "minvCpus": 0,
                    "maxvCpus": 16,
                    "instanceTypes": ["c5.large"],
                },
                "simulation": {"bootTime": "100s", "scaleDownDelay": "300s"},
            }
        ],
        "jobQueues": [
            {
                "jobQueueName": "q",
                "priority": 1,
                "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "od"}],
            }
        ],
        "jobDefinitions": [
            {
                "jobDefinitionName": "work",
                "containerProperties": {
                    "image": "img:1",
                    "resourceRequirements": [
                        {"type": "VCPU", "value": "2"},
                        {"type": "MEMORY", "value": "2048"},
                    ],
                },
                "simulation": {"runtime": "600s", "startTime": "5s", "imagePullTime": "20s"},
            }
        ],
        "workload": [
            {"name": "a", "submit": {"jobName": "a", "jobQueue": "q", "jobDefinition": "work"}}
        ],
    }
    data.update(copy.deepcopy(changes))
    return data


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the command line in-process; return (exit status, stdout, stderr)."""
    from batchsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def run(data: dict, seed: int | None = None) -> batchsim.RunResult:
    """Validate ``data`` as a Scenario and simulate it."""
    return batchsim.simulate(Scenario.model_validate(data), seed=seed)


def job(result: batchsim.RunResult, job_id: str) -> dict:
    """Return the jobs.csv row of ``job_id`` as a dict."""
    rows = result.jobs[result.jobs["jobId"] == job_id]
    assert len(rows) == 1, f"no single job {job_id}"
    return rows.iloc[0].to_dict()


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder, or skip when it is absent (users do not have it)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


def imported_modules(tree: ast.AST) -> list[str]:
    """Return every module an AST imports, at any depth (absolute names only)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@dataclass
class BackgroundBuild:
    """The wheel build of ``tests/compiled_build.py``, running while the rest of the suite does."""

    folder: Path
    """Where it writes ``site/``, ``build.json`` and ``equivalence.json``."""
    process: subprocess.Popen
    """The background process (``python3 tests/compiled_build.py folder``)."""

    def result(self, name: str, timeout_s: float = 1800) -> dict:
        """Wait for the process; return the JSON file ``name`` it wrote (``{}`` if it wrote none)."""
        self.process.wait(timeout=timeout_s)
        path = self.folder / name
        return json.loads(path.read_text()) if path.exists() else {}


BACKGROUND_BUILD = pytest.StashKey[BackgroundBuild]()


@pytest.hookimpl(trylast=True)  # NOTE: after -k/-m deselection, so only selected tests count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the compiled build's tests last and start their build now, so it overlaps the rest."""
    late = [item for item in items if item.path.name == "test_compiled_build.py"]
    items[:] = [item for item in items if item not in late] + late
    if any("background_build" in getattr(item, "fixturenames", ()) for item in late):
        folder = Path(tempfile.mkdtemp(prefix="batchsim-wheel-"))
        script = Path(__file__).with_name("compiled_build.py")
        with (folder / "background.log").open("w") as log:
            # NOTE: its own session (process group), so that the end of the suite stops pip,
            # mypy and gcc with it
            process = subprocess.Popen([sys.executable, str(script), str(folder)], stdout=log,
                                       stderr=log, start_new_session=True)  # fmt: skip
        config.stash[BACKGROUND_BUILD] = BackgroundBuild(folder, process)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the background build if the suite ended first; remove its folder."""
    build = config.stash.get(BACKGROUND_BUILD, None)
    if build is None:
        return
    if build.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.process.pid, signal.SIGKILL)
    build.process.wait()
    shutil.rmtree(build.folder, ignore_errors=True)


@pytest.fixture
def background_build(request: pytest.FixtureRequest) -> BackgroundBuild:
    """The wheel build started at collection (see :func:`pytest_collection_modifyitems`)."""
    return request.config.stash[BACKGROUND_BUILD]
