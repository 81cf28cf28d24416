"""Compare scenarios over replications: means, 95 % confidence intervals, paired differences.

Replication ``r`` (0-based) of *every* scenario runs with seed ``seed + r``: common random
numbers. Random streams are named after workload entries and compute environments and each
job's runtime is drawn at submission, so two scenarios that share a workload see the same
arrivals and runtimes on the same seed. The per-seed difference between a scenario and the first
(the baseline) then cancels most of the noise both share, which is why its interval is usually
much tighter than the two separate intervals suggest.

Intervals are Student t intervals over the replications: ``mean ± t(0.975, n−1) · s / √n``,
with the quantile of ``scipy.stats.t``. With a deadline, P(makespan ≤ deadline) is the share
of replications that meet it, with its 95 % Wilson interval (``scipy.stats.binomtest``'s); both
are computed with ``scipy.special`` as scipy.stats computes them (:mod:`batchsim.sweeps.stats`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from batchsim.errors import Problem, ScenarioError, ScenariosError
from batchsim.scenario.loader import load_scenario_notes
from batchsim.scenario.schema import Scenario
from batchsim.sweeps.execute import run_tasks
from batchsim.sweeps.runner import OK, Executor, Outcome, SweepProgress, Task, executor_for
from batchsim.sweeps.stats import Probability, mean_ci, meets, quantiles, t_975
from batchsim.sweeps.table import METRICS as RUN_METRICS
from batchsim.sweeps.table import RUN_KEYS, run_row
from batchsim.sweeps.values import value_text

CSV_COLUMNS = ("scenario", "metric", "mean", "ci95", "n", "diff_vs_first", "diff_ci95")
"""Columns of ``compare.csv``: one row per scenario × metric."""
MISSING = "n/a"


@dataclass(frozen=True)
class Metric:
    """One compared figure: its key in the outputs, its table label and how its cells read.

    ``unit`` is "usd" (dollars), "duration" (seconds, shown in s, min or h) or "count".
    """

    key: str
    label: str
    unit: str


METRICS: tuple[Metric, ...] = (
    Metric("total_cost_usd", "Total cost (USD)", "usd"),
    Metric("cost_per_succeeded_job_usd", "Cost per succeeded job (USD)", "usd"),
    Metric("makespan_s", "Makespan", "duration"),
    Metric("queue_wait_p95_s", "Queue wait p95", "duration"),
    Metric("interruptions", "Spot interruptions", "count"),
    Metric("wasted_vcpu_hours", "Wasted vCPU-hours", "count"),
    Metric("failed_jobs", "Failed jobs", "count"),
)
"""The compared metrics, in table and file order."""


@dataclass(frozen=True)
class Limit:
    """A target besides the deadline: its ``key`` in compare.json, the Comparison ``field``
    holding its value, the ``metric`` it bounds and the ``label`` the table shows."""

    key: str
    field: str
    metric: str
    label: str


LIMITS = (
    Limit("max_wait_p95", "max_wait_p95_s", "queue_wait_p95_s", "queue wait p95"),
    Limit("budget", "budget_usd", "total_cost_usd", "total cost"),
)
"""``--max-wait-p95`` and ``--budget``: each adds P(metric ≤ limit) with its Wilson interval."""


# ----------------------------------------------------------------------------- statistics
def t_quantile_975(df: int) -> float:
    """Return t(0.975, df), the Student t quantile of a two-sided 95 % interval, as
    ``scipy.stats.t.ppf`` gives it; raises ValueError unless ``df`` is a whole number ≥ 1."""
    return t_975(df)


@dataclass(frozen=True)
class Estimate:
    """A sample mean, its 95 % CI half-width (None below 2 values) and the sample size ``n``."""

    mean: float | None
    ci95: float | None
    n: int


def estimate(values: Sequence[float | None]) -> Estimate:
    """Return the mean and Student t 95 % CI half-width of ``values``, leaving out the Nones.

    The sweep's :func:`~batchsim.sweeps.stats.mean_ci` (:mod:`statistics`, exactly rounded), so
    identical values give a half-width of exactly 0.
    """
    present = [value for value in values if value is not None]
    mean, half_width = mean_ci(present)
    return Estimate(mean, None if half_width is None else float(half_width), len(present))


def paired_differences(
    values: Sequence[float | None], baseline: Sequence[float | None]
) -> list[float | None]:
    """Return ``value − baseline`` seed by seed (None where either run had no value)."""
    return [
        None if value is None or base is None else value - base
        for value, base in zip(values, baseline, strict=True)
    ]


# ----------------------------------------------------------------------------- running
def metric_values(summary: dict) -> dict[str, float | None]:
    """Return the compared metrics of one run, keyed as in :data:`METRICS`, from its summary."""
    values = {
        "total_cost_usd": summary["total_cost_usd"],
        "cost_per_succeeded_job_usd": summary["cost_per_succeeded_job_usd"],
        "makespan_s": summary["makespan_s"],
        "queue_wait_p95_s": (summary.get("queue_wait_s") or {}).get("p95"),
        "interruptions": summary["interruptions"],
        "wasted_vcpu_hours": summary["wasted_vcpu_hours"],
        "failed_jobs": summary["jobs_by_status"]["FAILED"],
    }
    return {key: _finite_or_none(value) for key, value in values.items()}


def _finite_or_none(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


RUN_COLUMNS: tuple[str, ...] = (*RUN_KEYS, "scenario", "scenario_digest", "status", "error",
                                 *RUN_METRICS)  # fmt: skip
"""Columns of an interrupted comparison's ``runs.csv``: the sweep's, with the scenario's label
and digest (``point`` is the scenario's position, 0 the baseline)."""
_ROW_KEYS = {metric.key: metric.key for metric in METRICS} | {"failed_jobs": "jobs_failed"}


def scenario_digest(scenario: Scenario) -> str:
    """Return the first 16 hex digits of the SHA-256 of the resolved scenario and of the bytes
    of its trace files: a changed file, trace or ``--set`` gives another digest, so
    ``--resume`` never reuses its runs."""
    from batchsim.scenario.loader import resolved_yaml
    from batchsim.scenario.trace_jobs import trace_sums

    text = resolved_yaml(scenario) + trace_sums(scenario)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def row_values(row: dict) -> dict[str, float | None]:
    """Return the compared metrics of one ``runs.csv`` row (all None when the run failed)."""
    return {key: _finite_or_none(row[column]) for key, column in _ROW_KEYS.items()}


def reusable_runs(
    rows: Sequence[dict], identities: Sequence[tuple], seeds: Sequence[int]
) -> dict[int, dict]:
    """Return the ok rows of an earlier ``runs.csv`` that this comparison would run again, by
    run number (scenario-major): same label and digest (``identities``) and a seed it uses."""
    numbers = {
        (*(value_text(value) for _, value in identity), seed): index * len(seeds) + replication
        for index, identity in enumerate(identities)
        for replication, seed in enumerate(seeds)
    }
    kept: dict[int, dict] = {}
    for row in rows:
        number = numbers.get((row.get("scenario"), row.get("scenario_digest"), row.get("seed")))
        if number is not None and row.get("status") == OK:
            kept[number] = row
    return kept


def column_labels(names: Sequence[str], sources: Sequence[str | Path | None]) -> list[str]:
    """Return unique column labels: the scenario names, file stems where names repeat, then #2, #3…"""
    repeated = Counter(names)
    wanted = [
        Path(source).stem if repeated[name] > 1 and source is not None else name
        for name, source in zip(names, sources, strict=True)
    ]
    labels: list[str] = []
    for label in wanted:
        unique, copy = label, 1
        while unique in labels:
            copy += 1
            unique = f"{label}#{copy}"
        labels.append(unique)
    return labels


def load_scenarios(
    paths: Sequence[str | Path],
    overrides: Sequence[str] = (),
    on_note: Callable[[str, Problem], object] | None = None,
) -> list[Scenario]:
    """Load every scenario file, applying ``overrides`` to each; ``on_note(path, note)`` is
    told each loader note (pasted AWS fields ignored, ARNs resolved).

    Raises :class:`ScenariosError` listing the problems of every invalid file, so a user fixes
    them all in one pass and nothing runs until every file is valid.
    """
    scenarios, errors = [], []
    for path in paths:
        try:
            scenario, notes = load_scenario_notes(path, tuple(overrides))
        except ScenarioError as error:
            errors.append(error)
            continue
        scenarios.append(scenario)
        if on_note is not None:
            for note in notes:
                on_note(str(path), note)
    if errors:
        raise ScenariosError(errors)
    return scenarios


def compare(
    scenarios: Sequence[Scenario],
    replications: int = 10,
    seed: int = 1,
    workers: int = 1,
    sources: Sequence[str | Path | None] | None = None,
    deadline_s: float | None = None,
    executor: Executor | None = None,
    progress: SweepProgress | None = None,
    finished: dict[int, dict] | None = None,
    max_wait_p95_s: float | None = None,
    budget_usd: float | None = None,
) -> Comparison:
    """Run each scenario ``replications`` times on seeds ``seed … seed+replications−1``.

    Every scenario uses the same seeds (common random numbers); the first is the baseline of the
    paired differences. The runs go through the sweep's run loop and executors: ``workers > 1``
    runs them in that many processes, ``executor`` (such as a
    :class:`~batchsim.sweeps.DaskExecutor`) instead of them, with identical results. A run
    that raises is a failed row and leaves its values out. ``sources`` are the scenarios'
    files, used for labels when names repeat and in compare.json. ``deadline_s`` (seconds)
    adds P(makespan ≤ deadline) and makespan quantiles to the outputs; ``max_wait_p95_s`` and
    ``budget_usd`` add P(queue wait p95 ≤ it) and P(total cost ≤ it). ``finished`` (run
    number, scenario-major → row, see :func:`reusable_runs`) holds runs not to make again, and
    is filled as runs end; ``progress`` is redrawn after each.
    """
    scenarios = list(scenarios)
    sources = list(sources) if sources is not None else [None] * len(scenarios)
    _check_arguments(scenarios, sources, replications, seed, workers)
    seeds = [seed + replication for replication in range(replications)]
    labels = column_labels([scenario.name for scenario in scenarios], sources)
    identities = run_identities(scenarios, labels)
    tasks = [
        Task("", label, (), run_seed, scenario)
        for scenario, label in zip(scenarios, labels, strict=True)
        for run_seed in seeds
    ]
    finished = {} if finished is None else finished

    def row_of(k: int, outcome: Outcome) -> dict:
        return run_row(k // replications, identities[k // replications], k % replications,
                       seeds[k % replications], outcome)  # fmt: skip

    warm = ("scipy.special",)  # NOTE: the intervals' library, imported while the workers run
    run_tasks(tasks, executor or executor_for(workers), row_of, finished, progress, warm)
    rows = [finished[k] for k in range(len(tasks))]
    values = {}
    for index, label in enumerate(labels):
        per_seed = [
            row_values(row) for row in rows[index * replications : (index + 1) * replications]
        ]
        values[label] = {metric.key: [run[metric.key] for run in per_seed] for metric in METRICS}
    return Comparison(
        labels=tuple(labels),
        names=tuple(scenario.name for scenario in scenarios),
        sources=tuple(None if source is None else str(source) for source in sources),
        seeds=tuple(seeds),
        values=values,
        deadline_s=deadline_s,
        runs=tuple(rows),
        max_wait_p95_s=max_wait_p95_s,
        budget_usd=budget_usd,
    )


def run_identities(scenarios: Sequence[Scenario], labels: Sequence[str]) -> list[tuple]:
    """Return each scenario's identity in ``runs.csv``: ``(("scenario", label),
    ("scenario_digest", digest))``, a sweep point's shape."""
    return [
        (("scenario", label), ("scenario_digest", scenario_digest(scenario)))
        for scenario, label in zip(scenarios, labels, strict=True)
    ]


def _check_arguments(
    scenarios: list, sources: list, replications: int, seed: int, workers: int
) -> None:
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    if len(sources) != len(scenarios):
        raise ValueError(f"{len(sources)} sources for {len(scenarios)} scenarios")
    for name, value, least in (
        ("replications", replications, 1),
        ("seed", seed, 0),
        ("workers", workers, 1),
    ):
        if not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be a whole number ≥ {least}, got {value!r}")


# ----------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Comparison:
    """Per-seed metrics of scenarios run on the same seeds, with their means and intervals.

    ``values[label][metric]`` holds one value per seed, in ``seeds`` order (None where the run
    had none, e.g. no makespan when stopAt cut it). ``labels[0]`` is the baseline.
    """

    labels: tuple[str, ...]
    names: tuple[str, ...]
    sources: tuple[str | None, ...]
    seeds: tuple[int, ...]
    values: dict[str, dict[str, list[float | None]]]
    deadline_s: float | None = None
    runs: tuple[dict, ...] = field(default=(), compare=False, repr=False)
    """Every run's row of ``runs.csv`` (scenario-major), failed runs included."""
    max_wait_p95_s: float | None = None
    budget_usd: float | None = None

    @property
    def failed(self) -> int:
        """How many runs raised an error (their values are left out)."""
        return sum(row["status"] != OK for row in self.runs)

    @property
    def baseline(self) -> str:
        """The label of the first scenario, which differences are taken against."""
        return self.labels[0]

    def estimate(self, label: str, metric: str) -> Estimate:
        """Return the mean and 95 % CI of ``metric`` for the scenario labelled ``label``."""
        return estimate(self.values[label][metric])

    def difference(self, label: str, metric: str) -> Estimate | None:
        """Return the paired difference ``label − baseline`` of ``metric`` (None for the baseline)."""
        if label == self.baseline:
            return None
        return estimate(
            paired_differences(self.values[label][metric], self.values[self.baseline][metric])
        )

    def deadline_risk(self, label: str) -> Probability | None:
        """Return how many replications of ``label`` met the deadline (makespan ≤ deadline_s;
        a run without a makespan does not), with its Wilson interval; None without a deadline."""
        if self.deadline_s is None:
            return None
        return meets(self.values[label]["makespan_s"], self.deadline_s)

    def limits(self) -> list[tuple[Limit, float]]:
        """Return the targets besides the deadline that this comparison was given, each with
        its value: the queue wait p95 and the budget (see :data:`LIMITS`)."""
        values = ((limit, getattr(self, limit.field)) for limit in LIMITS)
        return [(limit, value) for limit, value in values if value is not None]

    def limit_risk(self, label: str, limit: Limit, value: float) -> Probability:
        """Return how many replications of ``label`` kept ``limit``'s metric ≤ ``value`` (a run
        without the metric does not), with its Wilson interval."""
        return meets(self.values[label][limit.metric], value)

    def makespan_quantiles(self, label: str) -> dict[str, float | None]:
        """Return the p50, p90 and p95 of ``label``'s makespan across replications (seconds)."""
        return quantiles([v for v in self.values[label]["makespan_s"] if v is not None])

    def rows(self) -> list[dict]:
        """Return the tidy rows of ``compare.csv``: one per scenario × metric."""
        return [self._row(label, metric.key) for label in self.labels for metric in METRICS]

    def _row(self, label: str, metric: str) -> dict:
        own = self.estimate(label, metric)
        diff = self.difference(label, metric) or Estimate(None, None, 0)
        return {
            "scenario": label,
            "metric": metric,
            "mean": own.mean,
            "ci95": own.ci95,
            "n": own.n,
            "diff_vs_first": diff.mean,
            "diff_ci95": diff.ci95,
        }

    def to_dict(self) -> dict:
        """Return the content of ``compare.json``: the rows nested by scenario and metric.

        Each metric also carries ``diff_n`` (seeds where both runs had a value) and ``values``
        (one per seed), so every figure can be recomputed from the file.
        """
        results: dict[str, dict] = {label: {} for label in self.labels}
        for row in self.rows():
            label, metric = row["scenario"], row["metric"]
            diff = self.difference(label, metric)
            results[label][metric] = {
                **{key: row[key] for key in CSV_COLUMNS[2:]},
                "diff_n": None if diff is None else diff.n,
                "values": self.values[label][metric],
            }
        return (
            {
                "replications": len(self.seeds),
                "seeds": list(self.seeds),
                "confidence": 0.95,
                "baseline": self.baseline,
                "scenarios": [
                    {"label": label, "name": name, "path": source}
                    for label, name, source in zip(
                        self.labels, self.names, self.sources, strict=True
                    )
                ],
                "metrics": {metric.key: metric.label for metric in METRICS},
                "results": results,
            }
            | self._deadline_dict()
            | self._limits_dict()
        )

    def _deadline_dict(self) -> dict:
        """The ``deadline`` block of compare.json (nothing without a deadline)."""
        if self.deadline_s is None:
            return {}
        block: dict[str, dict] = {}
        for label in self.labels:
            risk = self.deadline_risk(label)
            assert risk is not None
            low, high = risk.interval
            block[label] = {"met": risk.met, "n": risk.n, "probability": risk.value,
                            "ci95_low": low, "ci95_high": high,
                            "makespan_quantiles_s": self.makespan_quantiles(label)}  # fmt: skip
        return {
            "deadline": {"deadline_s": self.deadline_s, "interval": "wilson", "scenarios": block}
        }

    def _limits_dict(self) -> dict:
        """The ``max_wait_p95`` and ``budget`` blocks of compare.json (each only when given)."""
        blocks = {}
        for limit, value in self.limits():
            scenarios = {}
            for label in self.labels:
                risk = self.limit_risk(label, limit, value)
                low, high = risk.interval
                scenarios[label] = {"met": risk.met, "n": risk.n, "probability": risk.value,
                                    "ci95_low": low, "ci95_high": high}  # fmt: skip
            blocks[limit.key] = {limit.field: value, "interval": "wilson", "scenarios": scenarios}
        return blocks

    def csv_text(self) -> str:
        """Return the text of ``compare.csv`` (empty cells for missing values)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())
        return buffer.getvalue()

    def table(self) -> str:
        """Return the plain-text side-by-side table (see :func:`format_table`)."""
        return format_table(self)

    def runs_csv_text(self) -> str:
        """Return every run as ``runs.csv`` text (what an interrupted comparison keeps): one row
        per run, scenario-major, in the sweep's format (:data:`RUN_COLUMNS`)."""
        from batchsim.sweeps.table import csv_text

        return csv_text(RUN_COLUMNS, self.runs)

    def write(self, directory: str | Path, replace: bool = False) -> list[Path]:
        """Write ``compare.csv``, ``compare.json`` (with a ``deadline`` block when the
        comparison has a deadline) and ``report.html`` into ``directory``, all or nothing.

        The folder is replaced whole (:func:`batchsim.results.folder.staged_folder`); one
        holding anything but batchsim results raises OutputFolderError unless ``replace``.
        Returns the paths written.
        """
        from batchsim.compare_report import render_compare_html
        from batchsim.results.files import write_text
        from batchsim.results.folder import staged_folder

        as_json = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        names = ("compare.csv", "compare.json", "report.html")
        with staged_folder(directory, replace) as staging:
            write_text(staging / names[0], self.csv_text())
            write_text(staging / names[1], as_json)
            write_text(staging / names[2], render_compare_html(self))
        return [Path(directory) / name for name in names]

    def failures(self) -> list[str]:
        """Return one line per failed run: its scenario label, seed and error."""
        return [
            f"{self.labels[row['point']]}, seed {row['seed']}: {row['error']}"
            for row in self.runs
            if row["status"] != OK
        ]


# ----------------------------------------------------------------------------- the table
def format_estimate(
    value: Estimate | None, unit: str, replications: int, signed: bool = False
) -> str:
    """Return a table cell: "$12.34 ± 0.56", "2.6 h ± 0.1", "3.2 ± 1.1" ("n/a" without values).

    ``signed`` puts "+" or "-" before differences; "(n=3)" follows when fewer than
    ``replications`` runs had a value.
    """
    if value is None or value.mean is None:
        return MISSING
    scale, prefix, suffix, decimals = _display(unit, value)
    mean, spread = value.mean / scale, None if value.ci95 is None else value.ci95 / scale
    magnitude = f"{abs(mean):,.{decimals}f}" if unit == "usd" else f"{abs(mean):.{decimals}f}"
    sign = _sign(mean, decimals, signed)
    cell = f"{sign}{prefix}{magnitude}{suffix}"
    if spread is not None:
        cell += f" ± {spread:.{decimals}f}"
    if value.n < replications:
        cell += f" (n={value.n})"
    return cell


def _sign(mean: float, decimals: int, signed: bool) -> str:
    rounded = round(mean, decimals)
    if rounded < 0:
        return "-"
    return "+" if signed and rounded > 0 else ""


def _display(unit: str, value: Estimate) -> tuple[float, str, str, int]:
    """Return (scale, prefix, suffix, decimals) of a cell.

    With a non-zero CI, the decimals follow it (its first significant digit shows, up to four
    more than the unit's usual ones). Without one, dollars get 2 decimals (4 below $1), others 1.
    """
    size = max(abs(value.mean or 0.0), value.ci95 or 0.0)
    scale, prefix, suffix, decimals = 1.0, "", "", 1
    if unit == "usd":
        prefix, decimals = "$", 2
    elif unit == "duration":
        scale, suffix = _duration_unit(size)
    spread = (value.ci95 or 0.0) / scale
    if spread > 0:
        decimals = min(max(decimals, -math.floor(math.log10(spread))), decimals + 4)
    elif unit == "usd" and size < 1:
        decimals = 4
    return scale, prefix, suffix, decimals


def _duration_unit(size_s: float) -> tuple[float, str]:
    if size_s < 120:
        return 1.0, " s"
    return (60.0, " min") if size_s < 7200 else (3600.0, " h")


def format_table(comparison: Comparison) -> str:
    """Return the comparison as an aligned plain-text table.

    Rows are metrics, one column per scenario, then a "Δ vs <first>" block with the paired
    difference of each later scenario; cells are mean ± 95 % CI half-width.
    """
    labels, others = comparison.labels, comparison.labels[1:]
    header, rows = table_cells(comparison)
    group = [
        "",
        *[""] * len(labels),
        *[f"Δ vs {comparison.baseline}" if i == 0 else "" for i in range(len(others))],
    ]
    widths = [
        max(len(line[column]) for line in (group, header, *rows)) for column in range(len(header))
    ]
    lines = _intro(comparison)
    if others:
        lines.append(_join(group, widths))
    lines += [_join(header, widths), _join(["-" * width for width in widths], widths)]
    lines += [_join(row, widths) for row in rows]
    if _has_missing_values(comparison):
        lines.append(
            "(n=k): only k runs had a value, e.g. no makespan when jobs were left unfinished."
        )
    if comparison.failed:
        lines.append(f"{comparison.failed} of {len(comparison.runs)} runs failed and are left "
                     "out (their errors are on stderr).")  # fmt: skip
    return "\n".join(lines)


def table_cells(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    """Return the header (metric, each scenario, then each later scenario's Δ vs the first)
    and the rows of the comparison table, as formatted text (the terminal's and report.html's)."""
    replications = len(comparison.seeds)
    header = ["Metric", *comparison.labels, *comparison.labels[1:]]
    rows = [_table_row(comparison, metric, replications) for metric in METRICS]
    width = len(header)
    return header, rows + _deadline_rows(comparison, width) + _limit_rows(comparison, width)


def intro_lines(comparison: Comparison) -> list[str]:
    """Return the lines that say how the table reads (replications, seeds, Δ)."""
    return [line for line in _intro(comparison) if line]


def _has_missing_values(comparison: Comparison) -> bool:
    return any(
        value is None
        for metrics in comparison.values.values()
        for runs in metrics.values()
        for value in runs
    )


def _deadline_rows(comparison: Comparison, width: int) -> list[list[str]]:
    """The makespan quantile rows and the P(makespan ≤ deadline) row (none without a deadline)."""
    if comparison.deadline_s is None:
        return []
    rows = []
    for name in ("p50", "p90", "p95"):
        cells = [
            _quantile_text(comparison.makespan_quantiles(label)[name])
            for label in comparison.labels
        ]
        rows.append([f"Makespan {name}", *cells])
    risks = [comparison.deadline_risk(label) for label in comparison.labels]
    label = f"P(makespan ≤ {duration_text(comparison.deadline_s)})"
    rows.append([label, *(risk.text() if risk else MISSING for risk in risks)])
    return [row + [""] * (width - len(row)) for row in rows]


def _limit_rows(comparison: Comparison, width: int) -> list[list[str]]:
    """The P(queue wait p95 ≤ D) and P(total cost ≤ USD) rows (each only when given)."""
    rows = []
    for limit, value in comparison.limits():
        shown = duration_text(value) if limit.key == "max_wait_p95" else f"${value:,.2f}"
        risks = [comparison.limit_risk(label, limit, value).text() for label in comparison.labels]
        rows.append([f"P({limit.label} ≤ {shown})", *risks])
    return [row + [""] * (width - len(row)) for row in rows]


def _quantile_text(seconds: float | None) -> str:
    """A makespan quantile in s, min or h with two decimals ("8.17 h"); "n/a" without runs."""
    if seconds is None:
        return MISSING
    scale, suffix = _duration_unit(seconds)
    return f"{seconds / scale:.2f}{suffix}"


def duration_text(seconds: float) -> str:
    """Return a target duration as written by a user: "4 h", "25 min", "1 d", else "90 s"."""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _table_row(comparison: Comparison, metric: Metric, replications: int) -> list[str]:
    own = [
        format_estimate(comparison.estimate(label, metric.key), metric.unit, replications)
        for label in comparison.labels
    ]
    diffs = [
        format_estimate(
            comparison.difference(label, metric.key), metric.unit, replications, signed=True
        )
        for label in comparison.labels[1:]
    ]
    return [metric.label, *own, *diffs]


def _intro(comparison: Comparison) -> list[str]:
    seeds = comparison.seeds
    if len(seeds) == 1:
        lines = [
            f"1 replication per scenario (seed {seeds[0]}): single runs, no confidence interval"
        ]
    else:
        lines = [
            f"{len(seeds)} replications per scenario, seeds {seeds[0]}–{seeds[-1]} (the same for every "
            "scenario); cells: mean ± 95 % CI half-width"
        ]
    if len(comparison.labels) > 1:
        lines.append(f"Δ: paired difference vs {comparison.baseline}, seed by seed")
    return lines + [""]


def _join(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=True)).rstrip()
