"""Write fitted parameters as a scenario fragment: a ``jobDefinitions`` list whose entries carry
only the name and the ``simulation`` block, in the scenario format's distribution syntax, with
what the history showed (sample sizes, goodness of fit, delays, retries) as comments."""

from __future__ import annotations

import json

from batchsim.fit.estimate import DefinitionFit, Delay, RuntimeFit


def _seconds(value: float) -> str:
    """A duration in the scenario's syntax, to the millisecond ('600.25s')."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + "s"


def runtime_yaml(fit: RuntimeFit) -> str:
    """The ``runtime`` value of ``fit`` in flow style."""
    if fit.family == "fixed":
        return _seconds(fit.values[0])
    if fit.family == "lognormal":
        assert fit.median_s is not None and fit.p95_s is not None
        return f"{{lognormal: {{median: {_seconds(fit.median_s)}, p95: {_seconds(fit.p95_s)}}}}}"
    return "{empirical: {values: [" + ", ".join(_seconds(v) for v in fit.values) + "]}}"


def _runtime_note(fit: RuntimeFit) -> str:
    noun = "attempt" if fit.count == 1 else "attempts"
    note = f"runtime: RUNNING time of {fit.count:,} {noun} that exited 0"
    if fit.ks_pvalue is None:
        return f"{note}; too few distinct values for a lognormal: {fit.family}"
    test = f"KS D = {fit.ks_statistic:.4f}, p = {fit.ks_pvalue:.3g}"
    if fit.family == "lognormal":
        return f"{note}; lognormal (mu {fit.mu:.4f}, sigma {fit.sigma:.4f}), {test} (optimistic: fitted to the same data)"
    return f"{note}; lognormal rejected ({test}): empirical quantiles"


def _delay_note(name: str, delay: Delay) -> str:
    if delay.count == 0:
        return f"{name}: none observed (needs Batch Job State Change events of both states)"
    assert delay.median_s is not None and delay.p95_s is not None and delay.max_s is not None
    return (f"{name}: {delay.count:,} observed, median {delay.median_s:g} s, "
            f"p95 {delay.p95_s:g} s, max {delay.max_s:g} s (event times: whole seconds)")  # fmt: skip


def definition_yaml(fit: DefinitionFit) -> list[str]:
    """The lines of one ``jobDefinitions`` entry."""
    lines = [f"  - jobDefinitionName: {json.dumps(fit.definition)}"]
    lines.append(f"    # {_count(fit.jobs, 'job')} ran {_count(fit.attempts, 'attempt')}")
    lines.append("    simulation:")
    if fit.runtime is not None:
        lines.append(f"      # {_runtime_note(fit.runtime)}")
        lines.append(f"      runtime: {runtime_yaml(fit.runtime)}")
    else:
        lines.append("      # runtime: no attempt with a start, a stop and exit code 0")
    lines += _start_lines(fit.starting_to_running)
    lines += _failure_lines(fit)
    lines.append(f"    # {_delay_note('RUNNABLE→STARTING', fit.runnable_to_starting)};")
    lines.append(
        "    #   a scheduling and scaling outcome, not a knob: compare with batchsim's queue_wait_s"
    )
    lines.append(f"    # retries: {fit.retried_jobs:,} of {_count(fit.jobs, 'job')} ({fit.retry_rate:.1%}) ran more than one "
                 f"attempt, at most {fit.most_attempts}; {fit.failed_jobs:,} of {fit.ended_jobs:,} ended jobs "
                 f"FAILED ({fit.job_failure_rate:.1%})")  # fmt: skip
    if fit.most_attempts > 1:
        lines.append(
            f"    # retryStrategy: {{attempts: {fit.most_attempts}}}   # at least, to match"
        )
    return lines


def _failure_lines(fit: DefinitionFit) -> list[str]:
    counted = fit.attempts - fit.host_failures
    note = (f"      # failures: {fit.failed_attempts:,} of {_count(counted, 'attempt')} with an exit code "
            f"exited non-zero; {fit.host_failures:,} ended without one (host or launch failures, left out)")  # fmt: skip
    if counted == 0:
        return [note]
    return [
        note,
        f"      failure: {{probability: {fit.failure_probability:.4g}, exitCode: {fit.exit_code}}}",
    ]


def _count(n: int, noun: str) -> str:
    """'1 job', '2,000 jobs'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _start_lines(delay: Delay) -> list[str]:
    note = _delay_note("STARTING→RUNNING", delay)
    if delay.count == 0:
        return [f"      # {note}"]
    assert delay.median_s is not None
    return [
        f"      # {note};",
        "      #   it includes image pulls, so it is given as startTime with imagePullTime 0",
        f"      startTime: {_seconds(delay.median_s)}",
        "      imagePullTime: 0s",
    ]


def fragment_yaml(fits: list[DefinitionFit], sources: list[str], job_count: int) -> str:
    """Return the whole fragment: a header naming the sources, then one entry per definition."""
    lines = [
        f"# batchsim fit: {_count(job_count, 'job')} from {', '.join(sources)}",
        "# Paste each simulation block into the job definition of the same name (durations in",
        "# seconds; history is in milliseconds, state-change events in whole seconds).",
        "jobDefinitions:",
    ]
    for fit in fits:
        lines += definition_yaml(fit)
    if not fits:
        lines[-1] = "jobDefinitions: []"
    return "\n".join(lines) + "\n"
