"""Bad inputs: the hand-made corpus (tests/bad_inputs/) and a short mutation-fuzzing sample.

Every case must exit 2 naming the YAML line of the mistake (size refusals name no line: the
whole scenario is too big), or run to the end; never exit 1 or 3, never a traceback. The long
fuzzing run is ``python3 -m tests.fuzz --mutants 2000`` (see tests/fuzz.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fuzz import fuzz

from batchsim.cli import ExitStatus, main

CORPUS = sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml"))


def test_the_corpus_has_at_least_sixty_distinct_mistakes():
    texts = {path.read_text().split("\n", 1)[1] for path in CORPUS}
    assert len(CORPUS) >= 60 and len(texts) == len(CORPUS)


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_each_bad_input_exits_2_with_its_line(path, tmp_path):
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(path), "-o", str(tmp_path / "o")], out, err)
    message = err.getvalue()
    assert status == ExitStatus.INVALID_SCENARIO, message
    assert expected in message and "Traceback" not in message
    assert path.stem.startswith("size-") or "(line " in message, message
    assert not (tmp_path / "o").exists()


def test_short_fuzzing_sample_keeps_the_promise():
    # NOTE: the seed picks mutants from the sorted scenarios/ list; adding nightly-deadline.yaml
    # moved 2024's picks to 20 rejected mutants, so no valid one ran. 2025 runs two.
    tally = fuzz(mutants=20, seed=2025, timeout_s=60.0, run_cap=450)
    assert tally.failures == []
    assert sum(tally.outcomes.values()) == 20 and tally.outcomes["ran:0"] >= 1
