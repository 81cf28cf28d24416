"""A sweep's output folder and its terminal table.

The folder holds ``sweep.yaml`` (the resolved spec, itself a sweep file), ``scenario.yaml``
(the scenario swept, as read), ``traces.sha256`` (when it replays traces: the digest of each
trace file), ``runs.csv``, ``points.csv``, the plots and ``report.html``. It is written beside
and swapped in whole (:func:`batchsim.results.folder.staged_folder`). An interrupted sweep
writes ``sweep.yaml``, ``scenario.yaml``, ``traces.sha256`` and the finished rows of
``runs.csv``, which ``--resume`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from batchsim.errors import UserError
from batchsim.sweeps.execute import SweepResult
from batchsim.sweeps.spec import SweepSpec
from batchsim.sweeps.table import (
    csv_text,
    point_columns,
    read_runs,
    run_columns,
    target_probabilities,
)

WRITER_MODULES = (
    "scipy.special",
    "batchsim.results.files",
    "batchsim.sweeps.plots",
    "batchsim.sweeps.html_report",
    "matplotlib.backends.backend_agg",
)
"""What :func:`write_sweep` imports (points.csv's statistics, the plots; never pandas), loaded
while the runs run (``execute(warm=…)``)."""
SCENARIO_FILE = "scenario.yaml"
TRACES_FILE = "traces.sha256"


def trace_sums(spec: SweepSpec) -> str:
    """The ``sha256sum`` lines of the trace files the swept scenario reads (its ``set``
    overrides applied; a point's own values are not), "" when it reads none."""
    if "trace" not in spec.scenario_text:
        return ""  # NOTE: only a scenario that names a trace is loaded again here
    from batchsim.scenario.loader import parse_scenario
    from batchsim.scenario.trace_jobs import trace_sums as sums

    return sums(parse_scenario(spec.scenario_text, spec.source, spec.overrides))


def _write_spec(staging: Path, spec: SweepSpec) -> None:
    from batchsim.results.files import write_text

    write_text(staging / "sweep.yaml", spec.to_yaml(SCENARIO_FILE))
    write_text(staging / SCENARIO_FILE, spec.scenario_text)
    sums = trace_sums(spec)
    if sums:
        write_text(staging / TRACES_FILE, sums)


def write_sweep(folder: str | Path, result: SweepResult, replace: bool = False) -> list[Path]:
    """Write every file of a finished sweep into ``folder``, all or nothing; return their paths."""
    from batchsim.results.files import write_png, write_text
    from batchsim.results.folder import staged_folder
    from batchsim.sweeps.html_report import render_sweep_html
    from batchsim.sweeps.plots import FILENAMES, cost_makespan_figure, heatmap_figure

    spec, points = result.spec, result.point_rows()
    with staged_folder(folder, replace) as staging:
        _write_spec(staging, spec)
        write_text(staging / "runs.csv", csv_text(run_columns(spec), result.rows))
        write_text(staging / "points.csv", csv_text(point_columns(spec), points))
        figures = {FILENAMES["cost_makespan"]: cost_makespan_figure(points)}
        if is_two_parameter_grid(spec):
            figures[FILENAMES["heatmap"]] = heatmap_figure(points, *spec.paths)
        images = {name: write_png(staging / name, f).read_bytes() for name, f in figures.items()}
        write_text(staging / "report.html", render_sweep_html(result, images))
        names = sorted(entry.name for entry in staging.iterdir())
    return [Path(folder) / name for name in names]


def is_two_parameter_grid(spec: SweepSpec) -> bool:
    """Whether the points form a grid of exactly two single-path factors (a heat map's axes)."""
    return spec.latin is None and [len(f.paths) for f in spec.factors] == [1, 1]


def write_partial(
    folder: str | Path, spec: SweepSpec, finished: dict[int, dict], replace: bool
) -> None:
    """Write the spec and the finished rows of an interrupted sweep, for ``--resume``."""
    from batchsim.results.files import write_text
    from batchsim.results.folder import staged_folder

    rows = [finished[k] for k in sorted(finished)]
    with staged_folder(folder, replace) as staging:
        _write_spec(staging, spec)
        write_text(staging / "runs.csv", csv_text(run_columns(spec), rows))


def resumed_rows(folder: str | Path, spec: SweepSpec) -> list[dict]:
    """Return the rows of ``folder/runs.csv`` when the folder holds this very sweep.

    A missing folder or runs.csv gives no rows; a folder of another sweep (another spec or
    scenario) raises UserError rather than mixing two sweeps.
    """
    folder = Path(folder)
    if not (folder / "runs.csv").is_file():
        return []
    try:
        same = (folder / "sweep.yaml").read_text(encoding="utf-8") == spec.to_yaml(SCENARIO_FILE)
        same = same and (folder / SCENARIO_FILE).read_text(encoding="utf-8") == spec.scenario_text
        same = same and _written(folder / TRACES_FILE) == trace_sums(spec)
        return (
            read_runs((folder / "runs.csv").read_text(encoding="utf-8"), run_columns(spec))
            if same
            else _other(folder)
        )
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"cannot resume from {folder}: {error}") from None


def _written(path: Path) -> str:
    """The text of ``path``, "" when there is no such file."""
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _other(folder: Path) -> list[dict]:
    raise UserError(
        f"cannot resume from {folder}: it holds another sweep (its sweep.yaml, scenario.yaml "
        "or trace files differ); drop --resume to replace it, or name another folder"
    )


# ----------------------------------------------------------------------------- the table
def format_points(result: SweepResult) -> str:
    """Return one line per point: its values, runs ok, makespan and cost (mean ± 95 % CI),
    and P(meet) of each target with its Wilson interval."""
    return _aligned(point_cells(result))


def point_cells(result: SweepResult) -> list[list[str]]:
    """Return the header and one row per point of :func:`format_points`, as text cells."""
    from batchsim.compare import Estimate, format_estimate

    spec, size = result.spec, result.spec.replications
    header = ["point", *(_short(path) for path in spec.paths), "ok", "makespan", "cost"]
    header += [f"P({label})" for label in _target_labels(spec)]
    lines = [header]
    for row in result.point_rows():
        runs = [r for r in result.rows if r["point"] == row["point"] and r["status"] == "ok"]
        cells = [
            str(row["point"]),
            *(row[path] for path in spec.paths),
            f"{row['ok']}/{row['runs']}",
        ]
        for metric, unit in (("makespan_s", "duration"), ("total_cost_usd", "usd")):
            n = sum(r[metric] is not None for r in runs)
            cells.append(
                format_estimate(
                    Estimate(row[f"{metric}.mean"], row[f"{metric}.ci95"], n), unit, size
                )
            )
        cells += [p.text() for p in target_probabilities(spec.targets, runs).values()]
        lines.append(cells)
    return lines


def _target_labels(spec: SweepSpec) -> list[str]:
    from batchsim.compare import duration_text

    texts = {
        "deadline": lambda limit: f"makespan ≤ {duration_text(limit)}",
        "maxWaitP95": lambda limit: f"wait p95 ≤ {duration_text(limit)}",
        "budget": lambda limit: f"cost ≤ ${limit:g}",
    }
    names = [texts[name](limit) for name, limit in spec.targets.named().items()]
    return [*names, "all"] if len(names) > 1 else names


def _short(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _aligned(lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [
        "  ".join(f"{c:<{w}}" for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    ]
    return "\n".join([text[0], "  ".join("-" * w for w in widths), *text[1:]])
