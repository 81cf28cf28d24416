"""Write an import as commented YAML: what came from AWS, what was dropped, what to check."""

from __future__ import annotations

from typing import Any

import yaml

from batchsim.aws_import.build import Imported, Written

HEADER = """\
# Written by `batchsim import-aws` from: {sources}
# AWS fields are as AWS returned them; read-only fields were dropped (listed above each
# object) and ARNs resolved to names. Lines marked CHECK are batchsim's defaults, not from
# AWS: edit them to match your jobs (docs/import-aws.md).
"""
SIMULATION = {"seed": 1, "region": "us-east-1"}
CHECK_SIMULATION = "CHECK: the seed, and the catalog region (prices are us-east-1)"


# NOTE: libyaml's emitter writes the same text as the pure-Python one, about 10x faster (an
# import writes one document per object); tests/test_import_aws.py compares the two.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(value: Any, dumper: type = DUMPER) -> list[str]:
    text = yaml.dump(
        value,
        Dumper=dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return text.splitlines()


def _with_check(lines: list[str], check: str | None) -> list[str]:
    """Put ``check`` on the top-level ``simulation:`` line (or on the first line)."""
    if check is None:
        return lines
    at = next((i for i, line in enumerate(lines) if line.startswith("simulation:")), 0)
    return [*lines[:at], f"{lines[at]}  # {check}", *lines[at + 1 :]]


def _list_item(written: Written) -> list[str]:
    """One object as an item of a top-level list, its notes as comments above it."""
    lines = _with_check(_dump(written.item), written.check)
    notes = [f"  # {note}" for note in written.notes]
    return [*notes, f"  - {lines[0]}", *(f"    {line}" for line in lines[1:])]


def _section(key: str, items: list[Written], comments: list[str]) -> list[str]:
    lines = [f"{key}:" if items else f"{key}: []"] + [f"  # {comment}" for comment in comments]
    for written in items:
        lines += _list_item(written)
    return lines


def scenario_text(imported: Imported, name: str) -> str:
    """Return the scenario YAML for ``imported``, named ``name``, with its comments."""
    sections = imported.sections
    lines = HEADER.format(sources=", ".join(imported.sources)).splitlines()
    lines += _dump({"name": name, "description": "Imported from AWS Batch describe output"})
    lines += _with_check(_dump({"simulation": SIMULATION}), CHECK_SIMULATION)
    comments = {
        "jobDefinitions": [
            f"not imported: {line} (--all-revisions keeps it)" for line in imported.skipped
        ],
        "workload": imported.unplaced,
    }
    for key, items in sections.items():
        if items or comments.get(key):
            lines += _section(key, items, comments.get(key, []))
    return "\n".join(lines) + "\n"
