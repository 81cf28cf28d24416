"""Build batchsim: pure Python by default; ``BATCHSIM_COMPILE=1`` compiles the hot engine with mypyc.

    pip install .                          # pure Python, as always (CI, editable installs)
    BATCHSIM_COMPILE=1 pip install .       # the same package, engine modules compiled by mypyc

The metadata lives in pyproject.toml; this file only adds the optional extension modules.
Why opt-in (docs/architecture.md, "The compiled engine"): a compiled module is imported in
preference to its ``.py`` file, so a ``.so`` left beside an edited source would run the old code;
without the variable nothing is compiled and nothing can go stale.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

COMPILED_MODULES = [
    "batchsim/engine/env.py",
    "batchsim/engine/calendar.py",
    "batchsim/engine/lifecycle.py",
    "batchsim/engine/attempts.py",
    "batchsim/engine/scheduler.py",
    "batchsim/engine/queue.py",
    "batchsim/engine/workload.py",
    "batchsim/engine/job.py",
    "batchsim/engine/recorder.py",
    "batchsim/engine/spec.py",
    "batchsim/engine/compute/environment.py",
    "batchsim/engine/compute/instance.py",
    "batchsim/engine/compute/scale_in.py",
    "batchsim/engine/compute/scale_out.py",
    "batchsim/scenario/samplers.py",
    "batchsim/scenario/shapes.py",
    "batchsim/engine/job_columns.py",
]
"""The modules mypyc compiles, chosen by measurement (benchmarks/README.md, "Compiled engine")."""


MYPY = "mypy>=1.10"
"""mypyc's distribution: a build requirement of the compiled build only."""

BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}
"""setup.py commands that build extensions; pip also runs this file for metadata (``egg_info``,
``dist_info``), where compiling would only cost time (mypyc takes about half a minute)."""


def compiling() -> bool:
    """Whether this build compiles the engine: ``BATCHSIM_COMPILE`` is set to 1 (or true/yes)."""
    return os.environ.get("BATCHSIM_COMPILE", "").strip().lower() in {"1", "true", "yes"}


def main() -> None:
    """Run setuptools, with mypyc's extension modules when :func:`compiling`."""
    if not compiling():
        setup()
        return
    try:
        from mypyc.build import mypycify  # NOTE: imported only here; a plain build needs no mypy
    except ImportError:
        # NOTE: pip first runs this file to ask for build requirements; setup() then stops by
        # raising with setup_requires, and pip installs mypy. Reaching the exit means no pip.
        setup(setup_requires=[MYPY])
        raise SystemExit(f"BATCHSIM_COMPILE=1 needs mypyc: pip install '{MYPY}'") from None
    extensions = []
    if BUILD_COMMANDS & set(sys.argv[1:]):
        extensions = mypycify(COMPILED_MODULES, opt_level="3", group_name="batchsim_engine")
    setup(ext_modules=extensions, setup_requires=[MYPY])


if __name__ == "__main__":
    main()
