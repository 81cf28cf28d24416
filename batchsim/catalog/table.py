"""Plain-text tables of instance types, for the ``batchsim catalog`` command."""

from __future__ import annotations

from collections.abc import Callable

from batchsim.catalog.instance_types import InstanceType

_MISSING = "-"


def _gib(itype: InstanceType) -> str:
    return f"{itype.memory_mib / 1024:.2f}".rstrip("0").rstrip(".")


def _savings(itype: InstanceType) -> str:
    return _MISSING if itype.spot_savings_pct is None else f"{itype.spot_savings_pct:g}"


# NOTE: one (header, cell, right-aligned) triple per column; the order is the table's order.
_COLUMNS: tuple[tuple[str, Callable[[InstanceType], str], bool], ...] = (
    ("type", lambda t: t.name, False),
    ("vCPU", lambda t: str(t.vcpus), True),
    ("memory GiB", _gib, True),
    ("GPUs", lambda t: str(t.gpus), True),
    ("arch", lambda t: t.architecture, False),
    ("$/h on-demand", lambda t: f"{t.on_demand_price_per_hour:.4f}", True),
    ("$/vCPU-h", lambda t: f"{t.price_per_vcpu_hour:.5f}", True),
    ("spot savings %", _savings, True),
    ("interruption", lambda t: t.interruption_label or _MISSING, False),
)


def format_table(types: list[InstanceType]) -> str:
    """Return ``types`` as an aligned plain-text table, one row per type, in the order given.

    Columns: type, vCPU, memory (GiB), GPUs, architecture, on-demand USD per hour, USD per
    vCPU-hour, Spot Advisor savings (%) and interruption bucket label (``'<5%'`` … ``'>20%'``).
    Missing Spot data shows as ``-``. An empty list gives just the header line.
    """
    rows = [[cell(t) for _, cell, _ in _COLUMNS] for t in types]
    headers = [header for header, _, _ in _COLUMNS]
    widths = [max(len(text) for text in column) for column in zip(headers, *rows, strict=True)]
    lines = [_format_line(headers, widths), *(_format_line(row, widths) for row in rows)]
    return "\n".join(lines)


def _format_line(cells: list[str], widths: list[int]) -> str:
    parts = [
        text.rjust(width) if right else text.ljust(width)
        for text, width, (_, _, right) in zip(cells, widths, _COLUMNS, strict=True)
    ]
    return "  ".join(parts).rstrip()
