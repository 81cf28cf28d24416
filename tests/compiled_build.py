"""Build the wheel users get (``pip install .`` in a new virtual environment) and compare its
engine with this checkout's.

The suite starts this as a background process when it collects ``test_compiled_build.py`` (see
``conftest.py``), so that the build (about 1½ minutes) and the comparison of every shipped
scenario (about 2 minutes) overlap the rest of the suite on a second core; the tests read what
it wrote. Run by hand::

    python3 tests/compiled_build.py /tmp/batchsim-wheel

Writes ``build.json`` (pip's exit status, the file ``batchsim.engine.calendar`` imports from, the
pure-Python warning if the build printed one, and the tail of pip's log) into the folder and, when the engine came out compiled,
``equivalence.json`` (``benchmarks/compiled_equivalence.py``'s exit status and report).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "batchsim")
"""What a wheel is built from: copied out, so that the build writes nothing into the checkout."""

PROBE = "import batchsim.engine.calendar as m; print(m.__file__)"


def copy_sources(target: Path) -> Path:
    """Copy :data:`SOURCES` into ``target/src`` (without caches or built modules); return it."""
    source = target / "src"
    source.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.egg-info")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(REPO / name, source / name)
    return source


def build(target: Path) -> dict:
    """Build the wheel as a user's ``pip install .`` does in a new virtual environment (pip
    builds it before installing the dependencies, so mypyc sees none of them), with
    ``BATCHSIM_COMPILE`` unset; install it into ``target/site``; say where the engine came from."""
    env = {k: v for k, v in os.environ.items() if k not in {"BATCHSIM_COMPILE", "PYTHONPATH"}}
    venv, wheels, site = target / "venv", target / "wheels", target / "site"
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir",
         "-w", str(wheels), str(copy_sources(target))],
    ]  # fmt: skip
    log: list[str] = []
    for command in steps:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        log += (done.stdout + done.stderr).splitlines()
        if done.returncode != 0:
            return {"returncode": done.returncode, "engine_file": "", "log": log[-80:]}
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site),
               *map(str, wheels.glob("batchsim-*.whl"))]  # fmt: skip
    done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    log += (done.stdout + done.stderr).splitlines()
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           cwd=target, env=env | {"PYTHONPATH": str(site)}, check=False)  # fmt: skip
    warned = [line for line in log if "batchsim: the engine is not compiled" in line]
    return {"returncode": done.returncode, "engine_file": probe.stdout.strip(),
            "fallback_warning": warned, "log": log[-80:]}  # fmt: skip


def compare(target: Path) -> dict:
    """Run ``benchmarks/compiled_equivalence.py`` on every shipped scenario against the build."""
    command = [
        sys.executable,
        str(REPO / "benchmarks" / "compiled_equivalence.py"),
        str(target / "site"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return {"returncode": done.returncode, "report": done.stdout + done.stderr}


def main(target: Path) -> None:
    """Build into ``target``, then compare when compiled; write the two JSON files."""
    target.mkdir(parents=True, exist_ok=True)
    built = build(target)
    (target / "build.json").write_text(json.dumps(built, indent=1))
    if built["returncode"] == 0 and not built["engine_file"].endswith(".py"):
        (target / "equivalence.json").write_text(json.dumps(compare(target), indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
