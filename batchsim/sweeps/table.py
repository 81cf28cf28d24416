"""The rows of ``runs.csv`` and ``points.csv``: their columns, their text, reading them back.

A run row holds the point index, the replication, its seed, each swept path's value (as the
YAML text of a ``--set`` VALUE), ``status`` (ok or error), ``error`` and every summary metric
of :data:`METRICS`. Cells are written as Python writes them (``repr`` of a float), so a row
read back and written again gives the same bytes: ``--resume`` relies on it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from batchsim.sweeps.runner import OK, Outcome
from batchsim.sweeps.spec import Point, SweepSpec, Targets
from batchsim.sweeps.stats import Probability, mean_ci, meets, quantiles
from batchsim.sweeps.values import value_text

_SCALARS = (
    "makespan_s", "total_cost_usd", "cost_per_succeeded_job_usd", "first_start_s",
    "utilization", "idle_cost_usd", "vcpu_hours_paid", "vcpu_hours_used", "jobs_total",
    "jobs_unfinished", "attempts_total", "interruptions", "wasted_vcpu_hours",
    "instances_launched", "end_of_run_s",
)  # fmt: skip
_WAITS = ("mean", "p50", "p95", "max")
_STATES = ("SUCCEEDED", "FAILED")
METRICS: tuple[str, ...] = (
    *_SCALARS,
    *(f"queue_wait_{stat}_s" for stat in _WAITS),
    *(f"jobs_{state.lower()}" for state in _STATES),
)
"""The metric columns of ``runs.csv``: every number of a run's ``summary.json`` except the
mappings keyed by workload entry, instance type or lifecycle (their keys vary by point)."""
RUN_KEYS = ("point", "replication", "seed")
TARGET_COLUMNS = {
    "deadline": "makespan_s",
    "maxWaitP95": "queue_wait_p95_s",
    "budget": "total_cost_usd",
}
"""The metric each target bounds."""


def metrics_of(summary: dict[str, Any]) -> dict[str, Any]:
    """Return the :data:`METRICS` of one run's summary."""
    found = {key: summary[key] for key in _SCALARS}
    waits = summary.get("queue_wait_s") or {}
    found |= {f"queue_wait_{stat}_s": waits.get(stat) for stat in _WAITS}
    return found | {f"jobs_{s.lower()}": summary["jobs_by_status"][s] for s in _STATES}


def run_columns(spec: SweepSpec) -> list[str]:
    """The columns of ``runs.csv``."""
    return [*RUN_KEYS, *spec.paths, "status", "error", *METRICS]


def run_row(point_index: int, point: Point, replication: int, seed: int, outcome: Outcome) -> dict:
    """Return the row of one run."""
    row: dict[str, Any] = {"point": point_index, "replication": replication, "seed": seed}
    row |= {path: value_text(value) for path, value in point}
    row |= {"status": outcome.status, "error": outcome.error}
    metrics = metrics_of(outcome.summary) if outcome.status == OK else {}
    return row | {key: metrics.get(key) for key in METRICS}


def cell(value: Any) -> str:
    """Return the CSV text of a value: "" for None, ``repr`` for floats, ``str`` otherwise."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(columns: Sequence[str], rows: Sequence[dict]) -> str:
    """Return ``rows`` as CSV text with ``columns`` (a header line, then one line per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue()


def _number(text: str) -> int | float | None:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_runs(text: str, columns: Sequence[str]) -> list[dict]:
    """Read ``runs.csv`` text back into rows, or raise ValueError if its columns differ."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != list(columns):
        raise ValueError("its runs.csv has other columns than this sweep's")
    rows = []
    for cells in reader:
        row: dict[str, Any] = dict(zip(columns, cells, strict=True))
        for key in (*RUN_KEYS, *METRICS):
            row[key] = _number(row[key])
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- points
def point_columns(spec: SweepSpec) -> list[str]:
    """The columns of ``points.csv``."""
    stats = ("mean", "ci95", *(f"p{q}" for q in (50, 90, 95)))
    columns = ["point", *spec.paths, "runs", "ok", "failed"]
    columns += [f"{metric}.{stat}" for metric in METRICS for stat in stats]
    for name in _target_names(spec.targets):
        columns += [f"p_{name}", f"p_{name}.low", f"p_{name}.high"]
    return columns


def _target_names(targets: Targets) -> list[str]:
    names = list(targets.named())
    return [*names, "all"] if len(names) > 1 else names


def point_row(spec: SweepSpec, index: int, point: Point, runs: Sequence[dict]) -> dict:
    """Return one point's row of ``points.csv`` from its runs (in replication order)."""
    ok = [run for run in runs if run["status"] == OK]
    row: dict[str, Any] = {"point": index, **{path: value_text(v) for path, v in point}}
    row |= {"runs": len(runs), "ok": len(ok), "failed": len(runs) - len(ok)}
    for metric in METRICS:
        values = [run[metric] for run in ok if run[metric] is not None]
        mean, ci95 = mean_ci(values)
        row |= {f"{metric}.mean": mean, f"{metric}.ci95": ci95}
        row |= {f"{metric}.{name}": value for name, value in quantiles(values).items()}
    for name, probability in target_probabilities(spec.targets, ok).items():
        low, high = probability.interval
        row |= {f"p_{name}": probability.value, f"p_{name}.low": low, f"p_{name}.high": high}
    return row


def target_probabilities(targets: Targets, runs: Sequence[dict]) -> dict[str, Probability]:
    """Return P(meet) of each set target over ``runs`` (and of all of them, when several)."""
    limits = targets.named()
    found = {
        name: meets([run[TARGET_COLUMNS[name]] for run in runs], limit)
        for name, limit in limits.items()
    }
    if len(limits) > 1:
        met = sum(all(_met(run, limits)) for run in runs)
        found["all"] = Probability(met, len(runs))
    return found


def _met(run: dict, limits: dict[str, float]) -> list[bool]:
    values = [(run[TARGET_COLUMNS[name]], limit) for name, limit in limits.items()]
    return [value is not None and value <= limit for value, limit in values]
