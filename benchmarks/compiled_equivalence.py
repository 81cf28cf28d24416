"""Check that the mypyc-compiled engine writes byte for byte what the interpreted one writes.

    BATCHSIM_COMPILE=1 pip install --no-deps --target /tmp/batchsim-compiled .
    python3 benchmarks/compiled_equivalence.py /tmp/batchsim-compiled

Runs ``batchsim run`` on every shipped scenario (``scenarios/*.yaml``, or the ones named with
``--scenarios``) twice, each in its own interpreter: once with this checkout's pure-Python
``batchsim`` on PYTHONPATH, once with the compiled copy; then compares every output file and the
terminal report byte for byte. Exits 0 when all agree, 1 with the differing files otherwise, and
2 when the compiled copy is not compiled (no engine extension module imports from it).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALL_TIME = re.compile(rb"simulated in [0-9.]+ s")
PROBE = "import batchsim.engine.env as m; print(m.__file__)"


def run(pythonpath: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python3 -m batchsim argv`` in ``cwd`` with only ``pythonpath`` in front of sys.path.

    NOTE: ``cwd`` is a scratch folder, not the checkout, whose ``batchsim/`` would otherwise be
    imported first by ``-m`` and hide the compiled copy.
    """
    env = os.environ | {"PYTHONPATH": str(pythonpath)}
    command = [sys.executable, "-m", "batchsim", *argv]
    return subprocess.run(command, capture_output=True, cwd=cwd, env=env, check=False)


def engine_file(pythonpath: Path, cwd: Path) -> str:
    """Return the file ``batchsim.engine.env`` is imported from with ``pythonpath``."""
    env = os.environ | {"PYTHONPATH": str(pythonpath)}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=cwd,
                          env=env, check=True)  # fmt: skip
    return done.stdout.strip()


def differences(left: Path, right: Path) -> list[str]:
    """Return the relative paths of files that differ or exist on one side only."""
    found = []
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    names |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    for name in sorted(names):
        a, b = left / name, right / name
        if not (a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)):
            found.append(str(name))
    return found


def compare(scenario: Path, compiled: Path, scratch: Path) -> list[str]:
    """Run ``scenario`` interpreted and compiled; return what differs (files, report, status)."""
    outputs = {}
    for side, path in (("interpreted", ROOT), ("compiled", compiled)):
        folder = scratch / scenario.stem / side
        done = run(path, ["run", str(scenario), "-o", str(folder)], scratch)
        # NOTE: the report names its folder and the wall time, which differ by design
        stdout = WALL_TIME.sub(b"", done.stdout.replace(str(folder).encode(), b"<out>"))
        outputs[side] = (done.returncode, stdout, done.stderr, folder)
    (code_i, out_i, err_i, dir_i), (code_c, out_c, err_c, dir_c) = outputs.values()
    found = differences(dir_i, dir_c)
    if code_i != code_c:
        found.append(f"exit status {code_i} vs {code_c}")
    if out_i != out_c:
        found.append("stdout")
    if err_i != err_c:
        found.append("stderr")
    return found


def main(argv: list[str] | None = None) -> int:
    """Compare every scenario; print one line each; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compiled", type=Path, help="folder holding the compiled batchsim copy")
    parser.add_argument("--scenarios", nargs="+", type=Path,
                        default=sorted((ROOT / "scenarios").glob("*.yaml")))  # fmt: skip
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="batchsim-equivalence-") as name:
        scratch = Path(name)
        interpreted, compiled = engine_file(ROOT, scratch), engine_file(args.compiled, scratch)
        if not compiled.endswith((".so", ".pyd")) or interpreted.endswith((".so", ".pyd")):
            print(f"not an interpreted/compiled pair: {interpreted} / {compiled}", file=sys.stderr)
            return 2
        failed = 0
        for scenario in args.scenarios:
            found = compare(scenario.resolve(), args.compiled.resolve(), scratch)
            failed += bool(found)
            print(f"{'DIFFERS' if found else 'same   '} {scenario.name}  {', '.join(found)}")
        print(f"{len(args.scenarios) - failed} of {len(args.scenarios)} scenarios byte-identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
