"""Regenerate the packaged catalog CSV from the shared reference catalog.

Usage::

    python -m batchsim.catalog.refresh /path/to/ec2_instance_catalog_us-east-1.csv [--output PATH]

It keeps the columns batchsim needs (renamed where the source carries a ``_us_east_1`` suffix),
copies their values unchanged, keeps source row order and drops every row without an on-demand
price. ``data/README.md`` records where the source came from; update it when the source changes.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from batchsim.catalog.instance_types import CSV_COLUMNS

#: Where the packaged CSV lives in the source tree.
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / "ec2_us-east-1.csv"

#: Packaged columns whose source column has another name; the others keep their name.
RENAMED: dict[str, str] = {
    "ondemand_linux_usd_per_hour": "ondemand_linux_usd_per_hour_us_east_1",
    "spot_savings_pct": "spot_savings_pct_us_east_1",
    "spot_interruption_index": "spot_interruption_index_us_east_1",
}

#: Source column of each packaged column, in packaged order.
SOURCE_COLUMNS: tuple[str, ...] = tuple(RENAMED.get(col, col) for col in CSV_COLUMNS)

_PRICE = RENAMED["ondemand_linux_usd_per_hour"]


def read_source(path: Path) -> list[dict[str, str]]:
    """Read the shared catalog CSV at ``path``; raise ``ValueError`` if a needed column is absent."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = sorted(set(SOURCE_COLUMNS) - set(reader.fieldnames or ()))
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        return list(reader)


def split_priced(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """Return the rows with an on-demand price, and the names of the rows without one."""
    priced = [row for row in rows if row[_PRICE].strip()]
    unpriced = [row["instance_type"] for row in rows if not row[_PRICE].strip()]
    return priced, unpriced


def render(rows: list[dict[str, str]]) -> str:
    """Return the packaged CSV text (LF line endings) for the given source rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([row[col] for col in SOURCE_COLUMNS] for row in rows)
    return buffer.getvalue()


def build(source: Path) -> str:
    """Return the packaged CSV text built from the shared catalog CSV at ``source``."""
    priced, _ = split_priced(read_source(source))
    return render(priced)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the packaged CSV and report what was kept and dropped."""
    parser = argparse.ArgumentParser(
        prog="python -m batchsim.catalog.refresh",
        description="Regenerate the packaged catalog CSV from the shared reference catalog.",
    )
    parser.add_argument("source", type=Path, help="the shared ec2_instance_catalog_us-east-1.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="CSV to write")
    args = parser.parse_args(argv)
    try:
        priced, dropped = split_priced(read_source(args.source))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.output.write_text(render(priced), encoding="utf-8", newline="")
    print(f"wrote {len(priced)} instance types to {args.output}")
    print(f"dropped {len(dropped)} without an on-demand price: {' '.join(dropped)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
