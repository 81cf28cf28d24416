"""How an attempt ended, whether it was retried and why (``retryStrategy``, as the engine
applies it), and how the job ended."""

from __future__ import annotations

import pandas as pd

from batchsim.engine.retry import glob_match
from batchsim.explain.facts import OUTCOME_WORDS, JobFacts
from batchsim.explain.model import Step
from batchsim.explain.timefmt import clock
from batchsim.scenario.schema import EvaluateOnExit

RETRIED_OUTCOMES = ("failed", "timed_out", "spot_interrupted", "host_replaced")
"""Outcomes after which the retry strategy is asked (TerminateJob ends the job)."""


def attempt_end(known: JobFacts, a: pd.Series, number: int, count: int) -> list[Step]:
    """Return the end of attempt ``number`` of ``count``, and the retry decision after it."""
    outcome, stopped = str(a["outcome"]), float(a["stoppedAt"])
    steps = [Step("attempt ended", stopped, None, outcome, _outcome_words(known, a), number)]
    if outcome not in RETRIED_OUTCOMES:
        return steps
    retried = number < count or known.waiting_since([a]) is not None
    cause, why = _retry_decision(known, a, number, retried)
    label = "retried" if retried else "not retried"
    steps.append(Step(label, stopped, None, cause, why, number))
    return steps


def _outcome_words(known: JobFacts, a: pd.Series) -> str:
    host = known.instance(a)
    notice = ""
    if host is not None and pd.notna(host["interruptionNoticeAt"]):
        notice = (
            f' ("EC2 Spot Instance Interruption Warning" at '
            f"{clock(float(host['interruptionNoticeAt']))}, reclaimed at {clock(float(a['stoppedAt']))})"
        )
    exit_code = a["exitCode"]
    return OUTCOME_WORDS[str(a["outcome"])].format(
        exit="none" if pd.isna(exit_code) else int(exit_code),
        reason="" if pd.isna(a["statusReason"]) else a["statusReason"],
        instance=a["instanceId"],
        notice=notice,
    )


def _retry_decision(known: JobFacts, a: pd.Series, number: int, retried: bool) -> tuple[str, str]:
    """Return (cause, words) of the retry decision after a failed attempt, as
    :meth:`batchsim.engine.retry.RetryPolicy.should_retry` takes it."""
    if known.trace_failed and str(a["outcome"]) == "failed":
        return "trace_failure", (
            "the trace records this job as failed: the replay ends it as it ended, without "
            "retries (the trace already holds its attempts)"
        )
    strategy = known.retry
    limit = strategy.attempts
    if number >= limit:
        return "attempts_exhausted", (
            f'no attempt left: "retryStrategy" "attempts" is {limit} ({number} of {limit} made)'
        )
    reason = "" if pd.isna(a["statusReason"]) else str(a["statusReason"])
    exit_code = None if pd.isna(a["exitCode"]) else int(a["exitCode"])
    for index, rule in enumerate(strategy.evaluateOnExit):
        if _matches(rule, reason, exit_code):
            action = rule.action.upper()
            told = f'"evaluateOnExit"[{index}] ({_rule_words(rule)}) matched → {action}'
            if action == "RETRY":
                return "evaluate_on_exit", f"attempt {number + 1} of {limit}: {told}"
            return "evaluate_on_exit", f"{told}: the job fails"
    told = 'no "evaluateOnExit" rule matched, so' if strategy.evaluateOnExit else ""
    return "attempts_left", (
        f"attempt {number + 1} of {limit}: {told} it is retried while attempts remain".replace(
            "  ", " "
        ).strip()
        if retried
        else f"{told} not retried".strip()
    )


def _matches(rule: EvaluateOnExit, reason: str, exit_code: int | None) -> bool:
    code = "" if exit_code is None else str(exit_code)
    return (
        (rule.onStatusReason is None or glob_match(rule.onStatusReason, reason))
        and (rule.onReason is None or glob_match(rule.onReason, ""))
        and (rule.onExitCode is None or glob_match(rule.onExitCode, code))
    )


def _rule_words(rule: EvaluateOnExit) -> str:
    given = [
        f'{name} "{value}"'
        for name, value in (
            ("onStatusReason", rule.onStatusReason),
            ("onReason", rule.onReason),
            ("onExitCode", rule.onExitCode),
        )
        if value is not None
    ]
    return ", ".join(given) or "any"


def final_step(known: JobFacts) -> Step:
    """Return the job's terminal state with its statusReason and exit code."""
    stopped = known.at("stoppedAt")
    assert stopped is not None  # NOTE: a SUCCEEDED or FAILED job has stopped
    reason, code = known.text("statusReason"), known.whole("exitCode")
    parts = [f'"statusReason": "{reason}"'] if reason else []
    if code is not None:
        parts.append(f'"exitCode": {code}')
    cause = "canceled" if known.status == "FAILED" and not known.attempts() else "ended"
    if known.is_array_parent:
        cause = "array_rolled_up"
    text = ", ".join(parts) or "no statusReason"
    return Step(known.status, stopped, None, cause, text)
