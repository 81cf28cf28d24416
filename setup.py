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
import tomllib
import warnings
from pathlib import Path

from setuptools import build_meta, setup
from setuptools.build_meta import *  # noqa: F403  (the PEP 517 hooks; two are redefined below)
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

    def initialize_options(self) -> None:
        """setuptools' options, and ``strict``: whether a failed build is an error
        (``BATCHSIM_COMPILE=1``) rather than a fallback."""
        super().initialize_options()
        self.strict = choice() == "always"

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
            warn_pure_python(f"its C code could not be built ({error})")

    def get_outputs(self) -> list[str]:
        """The built extension files (none after a fallback, so none go into the wheel)."""
        return super().get_outputs() if self.extensions else []


MYPY_FLAGS = ["--no-warn-unused-ignores"]
"""mypy options of the compiled build, beyond pyproject.toml's ``[tool.mypy]``."""

STUBS = ("pandas-stubs", "types-PyYAML", "types-croniter")
"""Type stubs mypyc must see, as the type checker of the test suite does (their versions are the
``test`` extra's)."""


def compile_requirements() -> list[str]:
    """What a compiling build needs in its build environment: mypy, and every runtime dependency
    with its stubs. mypyc compiles from the types mypy infers; without simpy, say, ``BatchEnv``'s
    base class would be unknown and the compiled class broken, so the build must see the same
    packages as the suite's type check (a package missing is a mypy error: pure Python then)."""
    with open(Path(__file__).with_name("pyproject.toml"), "rb") as file:
        project = tomllib.load(file)["project"]
    stubs = [r for r in project["optional-dependencies"]["test"] if r.startswith(STUBS)]
    return [MYPY, *project["dependencies"], *stubs]


def engine_extensions(strict: bool) -> list:
    """mypyc's extension modules for :data:`COMPILED_MODULES`, or none when mypyc fails and the
    build is not ``strict``."""
    from mypyc.build import mypycify  # NOTE: imported only here; metadata builds need no mypy

    try:
        return mypycify(
            [*COMPILED_MODULES, *MYPY_FLAGS], opt_level="3", group_name="batchsim_engine"
        )
    except (Exception, SystemExit) as error:  # NOTE: mypyc exits on a type error it finds
        if strict:
            raise
        warn_pure_python(f"mypyc could not compile it ({error!r}; its errors are above)")
        return []


def warn_pure_python(why: str) -> None:
    """Say, in pip's log, that this build is pure Python and why."""
    warnings.warn(f"batchsim: the engine is not compiled: {why}; installing pure Python, which "
                  "runs the same model more slowly (docs/architecture.md, 'The compiled engine')",
                  stacklevel=2)  # fmt: skip


def main() -> None:
    """Run setuptools, with mypyc's extension modules when :func:`builds_extensions`."""
    wanted = choice()
    compiling = builds_extensions(set(sys.argv[1:]), wanted)
    try:
        import mypyc.build  # noqa: F401  (only asked whether it is there)
    except ImportError:
        if compiling and wanted == "always":
            raise SystemExit(f"BATCHSIM_COMPILE=1 needs mypyc: pip install '{MYPY}'") from None
        if compiling:  # NOTE: pip installs it (get_requires_for_build_wheel); not without isolation
            warn_pure_python(f"mypyc is not installed (pip install '{MYPY}')")
        setup()
        return
    extensions = engine_extensions(strict=wanted == "always") if compiling else []
    setup(ext_modules=extensions, cmdclass={"build_ext": OptionalBuildExt})


# PEP 517: pyproject.toml names this file as the build backend: setuptools' own hooks, except that
# a build which compiles the engine asks for mypy (mypyc) in its build environment and an
# editable or pure-Python one does not, so that those install without it.
def get_requires_for_build_wheel(config_settings: dict | None = None) -> list[str]:
    """setuptools' requirements of a wheel build, and :func:`compile_requirements` unless
    ``BATCHSIM_COMPILE=0``."""
    extra = compile_requirements() if choice() != "never" else []
    return [*build_meta.get_requires_for_build_wheel(config_settings), *extra]


def get_requires_for_build_editable(config_settings: dict | None = None) -> list[str]:
    """setuptools' requirements of an editable build, and :func:`compile_requirements` only if
    ``BATCHSIM_COMPILE=1``."""
    extra = compile_requirements() if choice() == "always" else []
    return [*build_meta.get_requires_for_build_editable(config_settings), *extra]


if __name__ == "__main__":
    main()
