"""The README's examples stay true: its scenario validates and runs, its API snippet runs."""

from __future__ import annotations

import re

from conftest import REPO

import batchsim
from batchsim.scenario.loader import parse_scenario

README = (REPO / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_scenario_validates_and_runs():
    (text,) = _blocks("yaml")
    result = batchsim.simulate(parse_scenario(text, source="README.md"))
    assert result.summary["jobs_by_status"]["SUCCEEDED"] == result.summary["jobs_total"]
    assert result.summary["jobs_total"] > 200  # 200 array children plus the Poisson trickle


def test_readme_python_snippet_runs(tmp_path, monkeypatch):
    (code,) = _blocks("python")
    monkeypatch.chdir(REPO)
    code = code.replace('"out/run-7"', repr(str(tmp_path / "run-7")))
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "run-7" / "summary.json").is_file()


def test_readme_quickstart_table_matches_a_real_run():
    summary = batchsim.simulate(
        batchsim.load_scenario(REPO / "scenarios" / "quickstart.yaml")
    ).summary
    assert f"${summary['total_cost_usd']:.2f}" in README
    assert f"{summary['jobs_by_status']['SUCCEEDED']} SUCCEEDED" in README
