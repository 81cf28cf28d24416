"""The build users get: ``pip install .`` compiles the engine, falls back to pure Python, and the
compiled engine writes byte for byte what the interpreted one writes on every shipped scenario."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from setuptools import Distribution, Extension
from setuptools.errors import CompileError

REPO = Path(__file__).resolve().parents[1]


def load_setup():
    """Import the checkout's ``setup.py`` as a module (its ``main()`` runs only as a script)."""
    spec = importlib.util.spec_from_file_location("batchsim_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SETUP = load_setup()
HAS_C_COMPILER = (
    shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is not None
    and (Path(sysconfig.get_paths()["include"]) / "Python.h").exists()
)
"""Whether this machine can compile an extension: a C compiler and Python's headers."""


@pytest.mark.parametrize(
    ("commands", "wanted", "compiled"),
    [
        ({"bdist_wheel"}, None, True),  # pip install .
        ({"editable_wheel"}, None, False),  # pip install -e .
        ({"develop"}, None, False),
        ({"egg_info"}, None, False),  # pip asking for metadata
        ({"bdist_wheel"}, "never", False),  # BATCHSIM_COMPILE=0
        ({"editable_wheel"}, "always", True),  # BATCHSIM_COMPILE=1 pip install -e .
    ],
)
def test_which_builds_compile(commands, wanted, compiled):
    assert SETUP.builds_extensions(commands, wanted) is compiled


@pytest.mark.parametrize(
    ("value", "wanted"),
    [("", None), ("1", "always"), ("yes", "always"), ("0", "never"), ("False", "never")],
)
def test_batchsim_compile_values(monkeypatch, value, wanted):
    monkeypatch.setenv("BATCHSIM_COMPILE", value)
    assert SETUP.choice() == wanted


def test_batchsim_compile_rejects_other_values(monkeypatch):
    monkeypatch.setenv("BATCHSIM_COMPILE", "fast")
    with pytest.raises(SystemExit, match="BATCHSIM_COMPILE='fast'"):
        SETUP.choice()


def broken_build(tmp_path: Path, strict: bool):
    """An ``OptionalBuildExt`` over two modules: one that compiles, then one that cannot."""
    (tmp_path / "good.c").write_text(
        '#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "good"};\n'
        "PyMODINIT_FUNC PyInit_good(void) { return PyModule_Create(&m); }\n"
    )
    (tmp_path / "bad.c").write_text("this is not C\n")
    modules = [
        Extension("good", [str(tmp_path / "good.c")]),
        Extension("bad", [str(tmp_path / "bad.c")]),
    ]
    command = SETUP.OptionalBuildExt(Distribution({"name": "probe", "ext_modules": modules}))
    command.build_lib, command.build_temp = str(tmp_path / "lib"), str(tmp_path / "temp")
    command.strict = strict
    command.ensure_finalized()
    return command


@pytest.mark.skipif(not HAS_C_COMPILER, reason="no C compiler")
def test_a_failed_c_build_falls_back_to_pure_python(tmp_path):
    command = broken_build(tmp_path, strict=False)
    with pytest.warns(UserWarning, match="installing pure Python"):
        command.run()
    assert command.get_outputs() == []
    assert not [p for p in (tmp_path / "lib").rglob("*") if p.is_file()]  # "good" was removed too


@pytest.mark.skipif(not HAS_C_COMPILER, reason="no C compiler")
def test_a_failed_c_build_is_an_error_when_compiling_was_asked_for(tmp_path):
    with pytest.raises(CompileError):
        broken_build(tmp_path, strict=True).run()


def test_pip_install_builds_the_compiled_engine(background_build):
    built = background_build.result("build.json")
    assert built["returncode"] == 0, "\n".join(built["log"])
    site = background_build.folder / "site"
    version = subprocess.run([sys.executable, "-m", "batchsim", "--version"], capture_output=True, text=True,
                             cwd=background_build.folder, env={"PYTHONPATH": str(site)}, check=True)  # fmt: skip
    if not HAS_C_COMPILER:  # the fallback: the same package, pure Python, and a warning why
        assert built["engine_file"].endswith("calendar.py")
        assert built["fallback_warning"] and "(engine: pure Python)" in version.stdout
        return
    assert Path(built["engine_file"]).suffix in {".so", ".pyd"}, "\n".join(built["log"])
    assert built["fallback_warning"] == []
    assert "(engine: compiled with mypyc)" in version.stdout


@pytest.mark.skipif(not HAS_C_COMPILER, reason="no C compiler: pip install . builds pure Python")
def test_the_compiled_engine_writes_what_the_interpreted_one_writes(background_build):
    compared = background_build.result("equivalence.json")
    assert compared, "the build did not come out compiled"
    scenarios = len(list((REPO / "scenarios").glob("*.yaml")))
    assert compared["returncode"] == 0, compared["report"]
    assert f"{scenarios} of {scenarios} scenarios byte-identical" in compared["report"]
