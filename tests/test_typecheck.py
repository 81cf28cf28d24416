"""The package passes the type checker: mypy (configured in pyproject.toml, installed by the
test extra) reports no error in batchsim/."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_mypy_reports_no_error():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
