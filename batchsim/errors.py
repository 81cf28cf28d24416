"""Exceptions raised by batchsim.

Every error a user can cause derives from :class:`BatchsimError`, so the CLI can map it to an
exit status without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class BatchsimError(Exception):
    """Base class of every error batchsim raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario: where it is (YAML path and line) and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<scenario>"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class ScenarioError(BatchsimError):
    """A scenario that cannot be used; carries every problem found, each with its YAML path."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(self.format())

    def format(self) -> str:
        """Return the problems as one message, one problem per line."""
        head = f"{self.source}: " if self.source else ""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{head}{count} {noun} in scenario:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class IllegalTransition(BatchsimError):
    """A job was asked to move between two states that AWS Batch never connects."""
