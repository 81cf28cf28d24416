"""Which batchsim a benchmark measures: the installed one, as a user's own script imports it.

After the README's first command (``pip install .``) that is the compiled wheel; after the test
command (``pip install -e .``) it is this checkout in pure Python; ``--pythonpath DIR`` measures a
copy built elsewhere (``pip install --no-deps --target DIR .`` of any commit). Only when batchsim
is not installed at all do the benchmarks import this checkout's sources. Call :func:`select`
before importing batchsim; children started with ``python -m batchsim`` get :func:`child_env`
and a working folder outside the checkout, so that they import the same build.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def select(argv: list[str]) -> str | None:
    """Put the batchsim to measure first on ``sys.path``; return that folder (a ``--pythonpath``
    copy, or this checkout when batchsim is not installed), or None for the installed one."""
    if "--pythonpath" in argv[:-1]:
        folder = str(Path(argv[argv.index("--pythonpath") + 1]).resolve())
    elif importlib.util.find_spec("batchsim") is None:
        folder = str(ROOT)
    else:
        return None
    sys.path.insert(0, folder)
    return folder


def child_env(folder: str | None) -> dict[str, str]:
    """The environment for a ``python -m batchsim`` child that must import the build
    :func:`select` chose (its folder); the child's working folder must be outside the checkout."""
    return os.environ | {"PYTHONPATH": folder} if folder else dict(os.environ)


def describe() -> str:
    """Say what is measured: version, whether the engine is compiled, and where it comes from."""
    import batchsim
    from batchsim.api import package_version

    engine = "compiled with mypyc" if engine_compiled() else "pure Python"
    return f"batchsim {package_version()} (engine: {engine}) from {Path(batchsim.__file__).parent}"


def announce() -> str:
    """The line a benchmark prints first: what it measures, and how to measure the compiled
    engine when it is not."""
    line = f"measuring {describe()}"
    if not engine_compiled():
        line += ("\n  (pure Python; `python3 -m pip install .` installs the compiled engine a user"
                 " gets, or pass --pythonpath with a copy built by pip install --target)")  # fmt: skip
    return line


def engine_compiled() -> bool:
    """Whether the batchsim engine imported here is the mypyc-compiled one (setup.py)."""
    import batchsim.engine.env

    return not batchsim.engine.env.__file__.endswith(".py")
