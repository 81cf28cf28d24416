"""Build batchsim: a wheel compiles the hot engine with mypyc; an editable install stays pure Python.

    pip install .                          # engine modules compiled by mypyc (pure Python if that fails)
    pip install -e .                       # pure Python: the checkout's sources run as edited
    BATCHSIM_COMPILE=0 pip install .       # pure Python
    BATCHSIM_COMPILE=1 pip install ...     # compiled, and an error (not a fallback) if it cannot be

The metadata lives in pyproject.toml; this file only adds the extension modules. Why a wheel is
compiled and an editable install is not (docs/architecture.md, "The compiled engine"): the
compiled engine is the one users run (1.5-2x the engine's speed, the same outputs byte for byte),
but a compiled module is imported in preference to its ``.py`` file, so a ``.so`` built beside an
edited source would keep running the old code.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

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
"""mypyc's distribution: a build requirement of the compiled build."""

WHEEL_COMMANDS = {"build", "build_ext", "bdist_wheel", "install"}
"""setup.py commands that build a wheel or install from one: compiled unless told otherwise. pip
also runs this file for metadata (``egg_info``, ``dist_info``), where compiling would only cost
time, and for editable installs (``editable_wheel``, ``develop``), which stay pure Python."""

EDITABLE_COMMANDS = {"editable_wheel", "develop"}
"""setup.py commands of an editable install: compiled only when ``BATCHSIM_COMPILE=1``."""


def choice() -> str | None:
    """What ``BATCHSIM_COMPILE`` asks for: ``"always"`` (1/true/yes), ``"never"`` (0/false/no) or
    ``None`` (unset or empty: compile wheels, fall back to pure Python if that fails)."""
    value = os.environ.get("BATCHSIM_COMPILE", "").strip().lower()
    if value in {"1", "true", "yes"}:
        return "always"
    if value in {"0", "false", "no"}:
        return "never"
    if value:
        raise SystemExit(f"BATCHSIM_COMPILE={value!r}: use 1 (compile) or 0 (pure Python)")
    return None


def builds_extensions(commands: set[str], wanted: str | None) -> bool:
    """Whether this invocation of setup.py (its ``commands``) compiles the engine."""
    if wanted == "never":
        return False
    if commands & EDITABLE_COMMANDS:
        return wanted == "always"
    return bool(commands & WHEEL_COMMANDS)


class OptionalBuildExt(build_ext):
    """``build_ext`` that, when the engine is compiled by default rather than on demand, turns a
    failed C build (no compiler, no Python headers) into a warning and a pure-Python package."""

    strict = False
    """Whether a failed build is an error (``BATCHSIM_COMPILE=1``) rather than a fallback."""

    def run(self) -> None:
        """Build the extensions; on failure remove whatever was built and warn, unless strict."""
        try:
            super().run()
        except Exception as error:  # NOTE: distutils raises CompileError, LinkError, PlatformError…
            if self.strict:
                raise
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            self.extensions = []
            warnings.warn(f"batchsim: the compiled engine could not be built ({error}); "
                          "installing pure Python, which runs the same model more slowly "
                          "(docs/architecture.md, 'The compiled engine')", stacklevel=1)  # fmt: skip

    def get_outputs(self) -> list[str]:
        """The built extension files (none after a fallback, so none go into the wheel)."""
        return super().get_outputs() if self.extensions else []


def engine_extensions(strict: bool) -> list:
    """mypyc's extension modules for :data:`COMPILED_MODULES`, or none when mypyc fails and the
    build is not ``strict``."""
    from mypyc.build import mypycify  # NOTE: imported only here; metadata builds need no mypy

    try:
        return mypycify(COMPILED_MODULES, opt_level="3", group_name="batchsim_engine")
    except (Exception, SystemExit) as error:  # NOTE: mypyc exits on a type error it finds
        if strict:
            raise
        warnings.warn(f"batchsim: mypyc could not compile the engine ({error}); installing "
                      "pure Python", stacklevel=1)  # fmt: skip
        return []


def main() -> None:
    """Run setuptools, with mypyc's extension modules when :func:`builds_extensions`."""
    wanted = choice()
    if wanted == "never":
        setup()
        return
    try:
        import mypyc.build  # noqa: F401  (only asked whether it is there)
    except ImportError:
        # NOTE: pip first runs this file to ask for build requirements; setup() then stops by
        # raising with setup_requires, and pip installs mypy into the build environment. Going on
        # means no pip: a strict build stops, a default one builds pure Python.
        if wanted == "always" or "egg_info" in sys.argv:
            setup(setup_requires=[MYPY])
        if wanted == "always":
            raise SystemExit(f"BATCHSIM_COMPILE=1 needs mypyc: pip install '{MYPY}'") from None
        if "egg_info" not in sys.argv:
            setup()
        return
    OptionalBuildExt.strict = wanted == "always"
    extensions = []
    if builds_extensions(set(sys.argv[1:]), wanted):
        extensions = engine_extensions(strict=wanted == "always")
    setup(ext_modules=extensions, setup_requires=[MYPY], cmdclass={"build_ext": OptionalBuildExt})


if __name__ == "__main__":
    main()
