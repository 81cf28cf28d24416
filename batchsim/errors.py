"""Every exception batchsim raises on purpose, in one place.

The families decide the exit status of the command line (``batchsim.cli.ExitStatus``):

- :class:`UserError` — a mistake the user can fix (the scenario, an instance type, the output
  folder, a run too big for the machine): exit status 2, never a traceback.
- :class:`InternalError` — an invariant of the engine broke (:class:`IllegalTransition`): a bug
  in batchsim, exit status 3, never shown as a mistake in the user's scenario.
- :class:`Interrupted` — SIGINT or SIGTERM reached the CLI: exit status 130 or 143.
"""

from __future__ import annotations

from dataclasses import dataclass


class BatchsimError(Exception):
    """Base class of every error batchsim raises on purpose."""


class UserError(BatchsimError):
    """A mistake in what the user gave batchsim; the message says what to change."""


class InternalError(BatchsimError):
    """An internal check failed: a bug in batchsim, not a mistake in the scenario."""


class TraceError(UserError):
    """Bad trace content (a ``trace:`` workload entry): the ``file``, the 1-based ``line``
    (None: the whole file) and what is wrong, all in the message."""

    def __init__(self, file: object, line: int | None, message: str):
        where = f"{file}: line {line}" if line is not None else str(file)
        super().__init__(f"{where}: {message}")
        self.file, self.line = file, line


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


class ScenarioError(UserError):
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


class ScenariosError(ScenarioError):
    """Several scenario files with problems; :meth:`format` lists each file's problems in turn."""

    def __init__(self, errors: list[ScenarioError]):
        self.errors = list(errors)
        super().__init__([problem for error in self.errors for problem in error.problems])

    def format(self) -> str:
        """Return every file's problems, file by file."""
        return "\n".join(error.format() for error in self.errors)


class SweepError(ScenarioError):
    """A sweep spec that cannot be used (a sweep file or ``--vary`` options); carries every
    problem found, each with its path in the sweep file (and line) or the option at fault."""

    def format(self) -> str:
        """Return the problems as one message, one problem per line."""
        return super().format().replace(" in scenario:", " in sweep:", 1)


class ScheduleError(UserError, ValueError):
    """An EventBridge schedule expression AWS would reject; the message says why.

    It is a ``ValueError`` too, so pydantic reports it at the scenario key that holds it.
    """


class OverridePathError(UserError):
    """A ``--set`` PATH that cannot be followed in the scenario; the message says why."""


class UnknownInstanceType(UserError):
    """An ``instanceTypes`` entry that is neither a known type, a family nor a special value.

    ``entry`` is the offending text and ``suggestions`` the close matches offered in the message.
    """

    def __init__(self, entry: str, suggestions: list[str]):
        self.entry = entry
        self.suggestions = list(suggestions)
        message = f"unknown instance type or family {entry!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(message)


class HistoryError(UserError):
    """Job history ``batchsim fit`` cannot read; carries every problem found, each with its file
    and position (at most ``MAX_SHOWN`` are shown; the count says how many there were)."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        shown = self.problems[: self.MAX_SHOWN]
        more = len(self.problems) - len(shown)
        tail = [f"  … and {more} more"] if more else []
        noun = "problem" if len(self.problems) == 1 else "problems"
        text = "\n".join(
            [f"{len(self.problems)} {noun} in job history:"] + [f"  - {p}" for p in shown] + tail
        )
        super().__init__(text)


class OutputFolderError(UserError):
    """An output folder batchsim must not or cannot write: a file, a folder holding something
    other than batchsim's results (without ``--replace``), a path it cannot create."""


class AwsInputError(UserError):
    """Input to ``batchsim import-aws`` that cannot be read: a missing file, JSON that does not
    parse (with its file and line), a document that is not Batch describe output. The message
    lists every problem, one per line."""


class UnknownJobError(UserError):
    """``explain`` was asked for a job that is not in the run; the message names close ones."""


class RunTooLargeError(UserError):
    """A scenario whose estimated size exceeds the memory available (without ``--no-size-check``)."""


class DaskUnavailable(UserError):
    """Dask cannot run a sweep: it is not installed, its scheduler cannot be reached, or its
    workers do not run this batchsim version. The message says what to do."""


class RunnersLost(UserError):
    """What ran a sweep's runs failed midway: a worker process of the local pool ended abruptly
    (killed, out of memory) or the Dask cluster was lost; the finished runs are kept for
    ``--resume``."""


class DaskClusterLost(DaskUnavailable, RunnersLost):
    """The Dask cluster failed during a sweep (the scheduler lost, a worker killed); the
    finished runs are kept for ``--resume``."""


class IllegalTransition(InternalError):
    """A job was asked to move between two states that AWS Batch never connects."""


class Interrupted(BaseException):  # noqa: N818 - named like KeyboardInterrupt, its sibling
    """SIGINT or SIGTERM arrived; ``signum`` says which. A BaseException, like KeyboardInterrupt,
    so that no ``except Exception`` swallows it and every ``finally`` cleans up on the way out."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"signal {signum}")
