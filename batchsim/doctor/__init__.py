"""``batchsim doctor``: problems found in a scenario before anything runs.

Each :class:`Finding` has a severity, its YAML path and line, a message, AWS's statusReason
where AWS has one, and the AWS page behind it. Jobs that can never be placed are ERRORs (asked
of the engine's own model, so a run agrees); the rest are WARNINGs and NOTEs. See docs/doctor.md.
"""

from __future__ import annotations

from batchsim.doctor.advice import (
    missing_timeouts,
    short_jobs,
    single_seed,
    spot_without_checkpoints,
    work_of,
    young_daly_interval_s,
)
from batchsim.doctor.findings import (
    Finding,
    Severity,
    accepted_codes,
    counted,
    format_findings,
    mark_accepted,
)
from batchsim.doctor.locate import locator
from batchsim.doctor.placement import built_model, entry_shapes, idle_floors, never_placeable
from batchsim.scenario.schema import Scenario
from batchsim.scenario.yamlmap import load_yaml

__all__ = [
    "Finding",
    "Severity",
    "counted",
    "diagnose",
    "format_findings",
    "young_daly_interval_s",
]


def diagnose(
    scenario: Scenario, text: str | None = None, source: str = "scenario.yaml"
) -> list[Finding]:
    """Return every finding about ``scenario``, ordered by line.

    ``text`` (the YAML it was read from) gives each finding its line and the ``# doctor:
    accept CODE`` comments; ``source`` names the file in the advice to replicate.
    """
    doc = load_yaml(text)[0] if text is not None else None
    locate = locator(doc)
    model = built_model(scenario)
    shapes = entry_shapes(model, scenario)
    work = work_of(scenario)
    findings = [
        *never_placeable(model, scenario, shapes, locate),
        *idle_floors(model, scenario, shapes, locate),
        *short_jobs(work, locate),
        *missing_timeouts(work, locate),
        *spot_without_checkpoints(work, shapes, model, scenario, locate),
        *single_seed(scenario, source, locate),
    ]
    findings.sort(key=lambda f: (f.line is None, f.line or 0))
    return mark_accepted(findings, accepted_codes(text or ""))
