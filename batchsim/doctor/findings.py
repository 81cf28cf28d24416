"""What the doctor reports: findings with a severity, a place in the YAML, AWS's words, a link.

A scenario may accept a finding it makes on purpose with a comment naming its code anywhere in
the file, e.g. ``# doctor: accept spot-without-checkpoint (this scenario shows the cost)``;
accepted findings are still listed, marked, and count for nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

ACCEPT = re.compile(r"#\s*doctor:\s*accept\s+([a-z][a-z0-9-]*)")


class Severity(StrEnum):
    """How bad a finding is: ERROR (jobs that can never run), WARNING (work wasted or at risk),
    NOTE (advice on how to read the results)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One problem found before anything runs.

    ``code`` names the kind (``never-placeable``, ``short-jobs``, …); ``path`` and ``line`` say
    where in the YAML; ``reason`` is AWS's own statusReason when AWS has one (else None);
    ``link`` the AWS documentation page behind the advice; ``accepted`` whether the scenario
    accepts it with a ``# doctor: accept CODE`` comment.
    """

    severity: Severity
    code: str
    path: str
    line: int | None
    message: str
    reason: str | None
    link: str
    accepted: bool = False

    def format(self) -> str:
        """Return the finding as terminal lines: severity, place and message, then reason and link."""
        where = self.path if self.line is None else f"{self.path} (line {self.line})"
        mark = " [accepted in the scenario]" if self.accepted else ""
        lines = [f"{self.severity.value}: {where}: {self.message} [{self.code}]{mark}"]
        if self.reason is not None:
            lines.append(f"    AWS: {self.reason}")
        lines.append(f"    see {self.link}")
        return "\n".join(lines)


def accepted_codes(text: str) -> set[str]:
    """Return the finding codes the scenario ``text`` accepts in ``# doctor: accept CODE`` comments."""
    return set(ACCEPT.findall(text))


def mark_accepted(findings: list[Finding], codes: set[str]) -> list[Finding]:
    """Return ``findings`` with those whose code is in ``codes`` marked accepted."""
    return [replace(f, accepted=True) if f.code in codes else f for f in findings]


def counted(findings: list[Finding], severity: Severity) -> list[Finding]:
    """Return the findings of ``severity`` that the scenario does not accept."""
    return [f for f in findings if f.severity is severity and not f.accepted]


def format_findings(findings: list[Finding], source: str) -> str:
    """Return every finding, then a one-line tally (or a clean bill of health)."""
    if not findings:
        return f"{source}: no problems found"
    tally = ", ".join(
        f"{len(counted(findings, s))} {s.value}{'s' if len(counted(findings, s)) != 1 else ''}"
        for s in Severity
    )
    accepted = sum(f.accepted for f in findings)
    extra = f" ({accepted} accepted in the scenario)" if accepted else ""
    return "\n".join([*(f.format() for f in findings), f"{source}: {tally}{extra}"])
