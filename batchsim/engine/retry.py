"""AWS Batch ``retryStrategy``: when a failed attempt is retried.

Rules are tried in order and the first whose given conditions all match decides (RETRY or EXIT);
when none matches the job is retried while attempts remain. Patterns may end with ``*`` to match
a prefix; ``*`` alone matches anything, including an empty reason.
"""

from __future__ import annotations

from dataclasses import dataclass


def glob_match(pattern: str, text: str) -> bool:
    """Return whether ``text`` matches an AWS evaluateOnExit pattern (exact, or prefix with ``*``)."""
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


@dataclass(frozen=True, slots=True)
class ExitRule:
    """One evaluateOnExit entry; None means the condition is not given."""

    action_retry: bool
    on_status_reason: str | None = None
    on_reason: str | None = None
    on_exit_code: str | None = None

    def matches(self, status_reason: str, reason: str, exit_code: int | None) -> bool:
        """Return whether every given condition matches this attempt's outcome."""
        code = "" if exit_code is None else str(exit_code)
        return (
            (self.on_status_reason is None or glob_match(self.on_status_reason, status_reason))
            and (self.on_reason is None or glob_match(self.on_reason, reason))
            and (self.on_exit_code is None or glob_match(self.on_exit_code, code))
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` (1–10) and the evaluateOnExit rules, in order."""

    attempts: int = 1
    rules: tuple[ExitRule, ...] = ()

    def should_retry(
        self, attempts_made: int, status_reason: str, reason: str, exit_code: int | None
    ) -> bool:
        """Return whether a failed attempt is followed by another (timeouts never call this)."""
        if attempts_made >= self.attempts:
            return False
        for rule in self.rules:
            if rule.matches(status_reason, reason, exit_code):
                return rule.action_retry
        return True
