"""Turn the runs of a benchmark into medians, ratios, scaling, checks and a Markdown table."""

from __future__ import annotations

import math
import statistics

from shapes import SHAPES, erlang_c_wait

BASELINE = "simpy-handwritten"
BATCHSIM = ("batchsim-engine", "batchsim-full")
MIB_PER_GIB = 1024.0
TARGETS = {  # the targets, checked on (a)–(d) at ≥ 100k jobs; scaling and RSS everywhere
    "batchsim-engine": 1.5,
    "batchsim-full": 1.0,
    "scaling": 0.8,
    "full_rss_mib_at_1m": 1.2 * MIB_PER_GIB,
}


def theory(shape_key: str, shape=None) -> dict | None:
    """Return Erlang C's P(wait) and mean wait for an M/M/c-checked shape, else None."""
    shape = shape or SHAPES[shape_key]
    if shape.check != "erlang":
        return None
    p_wait, mean_wait = erlang_c_wait(shape.slots, shape.rate, shape.mean_service)
    return {"p_wait": p_wait, "mean_wait_s": mean_wait}


def _graham_ok(run: dict, slots: int) -> bool:
    """Return whether a backlog run's makespan lies within Graham's list-scheduling bounds.

    Any schedule that never idles a slot while a job waits ends between work/c and
    work/c + (longest runtime); a makespan outside means the model lost or idled a slot.
    """
    low = run["work_s"] / slots
    return low - 1e-6 <= run["makespan_s"] <= low + run["max_runtime_s"] + 1e-6


def _row(rows: list[dict], shape) -> dict:
    """Return the medians and pooled facts of the repeats of one (shape, case, N)."""
    rates = [r["jobs_per_s"] for r in rows]
    out = {
        "repeats": len(rows),
        "jobs_done": rows[0]["jobs_done"],
        "wall_s": statistics.median(r["wall_s"] for r in rows),
        "jobs_per_s": statistics.median(rates),
        "jobs_per_s_min": min(rates),
        "jobs_per_s_max": max(rates),
        "cpu_s": statistics.median(r["cpu_s"] for r in rows),
        "jobs_per_cpu_s": statistics.median(r["jobs_per_cpu_s"] for r in rows),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in rows),
        "rss_before_mib": statistics.median(r["rss_before_mib"] for r in rows),
        "mean_wait_s": statistics.fmean(r["mean_wait_s"] for r in rows),
        "mean_wait_se": math.sqrt(sum(r["mean_wait_se"] ** 2 for r in rows)) / len(rows),
        "p_wait": statistics.fmean(r["p_wait"] for r in rows),
        "makespan_s": statistics.fmean(r["makespan_s"] for r in rows),
        "all_succeeded": all(r["completed"] == r["jobs_done"] for r in rows),
        "all_ended": all(r.get("ended", r["completed"]) == r["jobs_done"] for r in rows),
        "failed_max": max(r["jobs_done"] - r["completed"] for r in rows),
        "interruptions": statistics.median(r.get("interruptions", 0) for r in rows),
        "instances": statistics.median(r.get("instances", 0) for r in rows),
        "max_desired_vcpus": max(r.get("max_desired_vcpus", 0) for r in rows),
    }
    if shape.check == "makespan":
        out["graham_ok"] = all(_graham_ok(r, shape.slots) for r in rows)
    shares = [r["share_mean_wait_s"] for r in rows if r.get("share_mean_wait_s")]
    if shares:
        out["share_mean_wait_s"] = {k: statistics.fmean(s[k] for s in shares) for k in shares[0]}
    return out


def summarize(runs: list[dict], shapes: dict) -> dict:
    """Return ``{"table": {key: row}, "checks": [...]}`` from the successful runs."""
    table = {}
    good = [r for r in runs if "error" not in r]
    keys = sorted({(r["jobs"], r["shape"], r["case"]) for r in good}, key=_order)
    for n, key, case in keys:
        rows = [r for r in good if (r["jobs"], r["shape"], r["case"]) == (n, key, case)]
        row = {"shape": key, "case": case, "jobs": n} | _row(rows, shapes[key])
        table[f"{key}/{case}@{n}"] = row
    for row in table.values():
        base = table.get(f"{row['shape']}/{BASELINE}@{row['jobs']}")
        row["ratio_vs_handwritten"] = row["jobs_per_s"] / base["jobs_per_s"] if base else None
        row["cpu_ratio_vs_handwritten"] = (
            row["jobs_per_cpu_s"] / base["jobs_per_cpu_s"] if base else None
        )
        sizes = sorted(r["jobs"] for r in table.values() if r["shape"] == row["shape"])
        lo = table.get(f"{row['shape']}/{row['case']}@{sizes[0]}")
        later = lo and row["jobs"] > sizes[0]
        row["scaling"] = row["jobs_per_s"] / lo["jobs_per_s"] if later else None
        row["cpu_scaling"] = row["jobs_per_cpu_s"] / lo["jobs_per_cpu_s"] if later else None
    return {"table": table, "checks": checks(table, shapes)}


def _order(key: tuple) -> tuple:
    """Sort rows by shape, then size, then case (hand-written first)."""
    n, shape, case = key
    cases = (BASELINE, *BATCHSIM)
    return (shape, n, cases.index(case) if case in cases else 9)


def _check(label: str, value, ok: bool, kind: str = "agreement") -> dict:
    """Return one check: what, its value, whether it passed, and its kind (for the report)."""
    return {"check": label, "value": value, "ok": ok, "kind": kind}


def checks(table: dict, shapes: dict) -> list[dict]:
    """Return the targets and the agreement checks, each with its value and pass/fail."""
    out = []
    for row in table.values():
        out += _target_checks(row, table)
        out += _agreement_checks(row, table, shapes[row["shape"]])
    return out


def _target_checks(row: dict, table: dict) -> list[dict]:
    """Return the issue's speed and memory targets that apply to ``row``."""
    out, case, n, key = [], row["case"], row["jobs"], row["shape"]
    where = f"({key}) {SHAPES[key].name} N={n:,}"
    if (
        case in BATCHSIM
        and SHAPES[key].twin is not None
        and n >= 100_000
        and row["ratio_vs_handwritten"]
    ):
        goal = TARGETS[case]
        label = (
            f"{where}: {case} ≥ {goal}× hand-written jobs/s "
            f"(by CPU time: {row['cpu_ratio_vs_handwritten']:.2f})"
        )
        ratio = row["ratio_vs_handwritten"]
        out.append(_check(label, ratio, ratio >= goal, "target"))
    if case in BATCHSIM and row["scaling"] is not None:
        smallest = min(r["jobs"] for r in table.values() if r["shape"] == key)
        label = (
            f"{where}: {case} jobs/s ≥ {TARGETS['scaling']}× its jobs/s at N={smallest:,} "
            f"(by CPU time: {row['cpu_scaling']:.2f})"
        )
        out.append(_check(label, row["scaling"], row["scaling"] >= TARGETS["scaling"], "target"))
    if case == "batchsim-full" and n >= 1_000_000:
        limit = TARGETS["full_rss_mib_at_1m"]
        label = f"{where}: batchsim-full peak RSS ≤ {limit:,.0f} MiB"
        out.append(_check(label, row["peak_rss_mib"], row["peak_rss_mib"] <= limit, "target"))
    return out


def _agreement_checks(row: dict, table: dict, shape) -> list[dict]:
    """Return the checks that the model simulated the shape's queue (waits, makespan, ends)."""
    out, case, n = [], row["case"], row["jobs"]
    where = f"({shape.key}) N={n:,} {case}"
    if shape.key == "f":
        out.append(
            _check(f"{where}: every job SUCCEEDED or FAILED", None, row["all_ended"], "ended")
        )
        out.append(_check(f"{where}: Spot interruptions happened", row["interruptions"], row["interruptions"] > 0))  # fmt: skip
    else:
        out.append(_check(f"{where}: every job SUCCEEDED", None, row["all_succeeded"], "ended"))
    if shape.key == "e":
        top = row["max_desired_vcpus"]
        if case == "batchsim-engine":
            out.append(_check(f"{where}: desired vCPUs ≤ maxvCpus 10,000", top, top <= 10_000))
    if shape.check == "makespan":
        out += _makespan_checks(row, table, shape, where)
    if shape.check == "erlang" and n >= 100_000:
        out += _wait_checks(row, table, shape, where)
    return out


def _makespan_checks(row: dict, table: dict, shape, where: str) -> list[dict]:
    """Graham's bounds on every run, and the makespan against the twin's (3 sd of the gap)."""
    out = [_check(f"{where}: work/c ≤ makespan ≤ work/c + longest job", None, row["graham_ok"])]
    base = table.get(f"{shape.key}/{BASELINE}@{row['jobs']}")
    if base and row["case"] != BASELINE:
        # Each makespan ≈ (sum of N exponentials)/c + a Gumbel-like tail (sd ≈ 1.28 mean);
        # the sd of the gap between the two models' mean makespans over their repeats.
        mean, c, n = shape.mean_service, shape.slots, row["jobs_done"]
        one = math.hypot(mean * math.sqrt(n) / c, 1.28 * mean)
        sd = one * math.sqrt(1 / row["repeats"] + 1 / base["repeats"])
        gap = row["makespan_s"] - base["makespan_s"]
        label = (
            f"{where}: makespan {row['makespan_s']:,.0f} s vs hand-written "
            f"{base['makespan_s']:,.0f} s ({gap / base['makespan_s']:+.2%}), within 3 sd "
            f"(±{3 * sd / base['makespan_s']:.2%}); z ="
        )
        out.append(_check(label, gap / sd, abs(gap) <= 3 * sd))
    return out


def _wait_checks(row: dict, table: dict, shape, where: str) -> list[dict]:
    """Mean wait against Erlang C and against the twin, each within 3 standard errors."""
    exact = theory(shape.key, shape)["mean_wait_s"]
    gap = row["mean_wait_s"] - exact
    se = row["mean_wait_se"]
    out = [
        _check(
            f"{where}: mean wait vs Erlang C {gap / exact:+.1%}, within 3 se (±{3 * se / exact:.1%}); z =",
            gap / se,
            abs(gap) <= 3 * se,
        )
    ]
    base = table.get(f"{shape.key}/{BASELINE}@{row['jobs']}")
    if base and row["case"] != BASELINE:
        gap = row["mean_wait_s"] - base["mean_wait_s"]
        se = math.hypot(se, base["mean_wait_se"])
        label = (
            f"{where}: mean wait vs hand-written {gap / base['mean_wait_s']:+.1%}, "
            f"within 3 se (±{3 * se / base['mean_wait_s']:.1%}); z ="
        )
        out.append(_check(label, gap / se, abs(gap) <= 3 * se))
    return out


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "–" if value is None else format(value, fmt)


def _scaling(row: dict) -> str:
    """Return the scaling cell: by wall time, and by CPU time (less disturbed by others)."""
    if row["scaling"] is None:
        return "–"
    return f"{row['scaling']:.2f} (CPU {row['cpu_scaling']:.2f})"


def agreement_cell(row: dict, shape) -> str:
    """Return the short 'did it simulate the same queue' column of a table row."""
    if shape.check == "erlang":
        exact = theory(shape.key, shape)["mean_wait_s"]
        return (
            f"wait {row['mean_wait_s']:.4g} s ± {1.96 * row['mean_wait_se']:.2g} "
            f"({row['mean_wait_s'] / exact - 1:+.1%} vs Erlang C)"
        )
    if shape.check == "makespan":
        return (
            f"makespan {row['makespan_s']:,.0f} s, Graham {'ok' if row['graham_ok'] else 'FAILED'}"
        )
    facts = [f"{row['instances']:,.0f} instances"]
    if row["max_desired_vcpus"]:
        facts.append(f"max {row['max_desired_vcpus']:,.0f} vCPUs desired")
    if shape.key == "f":
        facts.append(f"{row['interruptions']:,.0f} interruptions, ≤{row['failed_max']:,} failed")
    return ", ".join(facts)


def markdown(summary: dict, shapes: dict, info: dict, params: dict) -> str:
    """Return the results as Markdown: shapes, the table, the checks and any failures."""
    lines = [
        "Medians over the runs (repeat r uses seed + r), each (shape, case, N) in a fresh process, "
        "cases interleaved. "
        f"Machine: {info.get('cpu')}, {info.get('cpu_count')} cores, Python {info['python']}, "
        f"SimPy {info.get('simpy')}, commit {info.get('commit')}"
        f"{' (batchsim/ modified)' if info.get('batchsim_modified_since_commit') else ''}.",
        "",
    ]
    lines += [f"- ({s.key}) {s.name}: {s.summary}" for s in shapes.values()]
    lines += [
        "",
        "| shape | jobs | case | runs | wall s | jobs/s | min–max jobs/s | × hand-written "
        "| scaling vs smallest N | jobs/CPU-s | × hand (CPU) | peak RSS MiB | agreement |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in summary["table"].values():
        shape = shapes[row["shape"]]
        lines.append(
            f"| ({shape.key}) {shape.name} | {row['jobs_done']:,} | {row['case']} | {row['repeats']} | "
            f"{row['wall_s']:.2f} | {row['jobs_per_s']:,.0f} | "
            f"{row['jobs_per_s_min']:,.0f}–{row['jobs_per_s_max']:,.0f} | "
            f"{_num(row['ratio_vs_handwritten'])} | {_scaling(row)} | "
            f"{row['jobs_per_cpu_s']:,.0f} | {_num(row['cpu_ratio_vs_handwritten'])} | "
            f"{row['peak_rss_mib']:,.0f} | {agreement_cell(row, shape)} |"
        )
    lines.append("")
    for key, row in summary["table"].items():
        if row["shape"] == "h" and row.get("share_mean_wait_s"):
            waits = ", ".join(f"{k} {v:.3g} s" for k, v in row["share_mean_wait_s"].items())
            lines.append(f"- {key}: mean wait per share: {waits}")
    lines += ["", "Targets:", ""] + _check_lines(summary["checks"], "target")
    lines += ["", "Agreement (the same queue simulated):", ""]
    lines += _check_lines(summary["checks"], "agreement")
    ended = [c for c in summary["checks"] if c["kind"] == "ended"]
    if all(c["ok"] for c in ended):
        lines.append(f"- [x] every job ended as expected in all {len(ended)} (shape, case, N)")
    else:
        lines += _check_lines([c for c in ended if not c["ok"]], "ended")
    lines += [f"- FAILED RUN: {failure}" for failure in summary.get("failures", [])]
    return "\n".join(lines)


def _check_lines(checks: list[dict], kind: str) -> list[str]:
    """Return Markdown task-list lines for the checks of one kind."""
    lines = []
    for check in (c for c in checks if c["kind"] == kind):
        value = check["value"]
        shown = (
            "" if value is None else f" ({value:,.3f})" if abs(value) < 100 else f" ({value:,.0f})"
        )
        lines.append(f"- [{'x' if check['ok'] else ' '}] {check['check']}{shown}")
    return lines
