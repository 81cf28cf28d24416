"""AWS Fargate for AWS Batch: us-east-1 prices, per-second billing and valid vCPU/memory pairs.

The packaged rates live in ``data/fargate_us-east-1.csv`` (see ``data/README.md``, section
"Fargate", for how to refresh them). Sources:

* On-demand Linux rates (x86_64 and arm64): the AWS Fargate pricing page
  https://aws.amazon.com/fargate/pricing/, as quoted unchanged through 2026 by cost-tool sites
  (e.g. https://www.vantage.sh/blog/fargate-pricing, https://cloudburn.io/blog/aws-fargate-pricing).
* Fargate Spot x86_64 rate: the Spot price feed that page renders,
  https://dftu77xade0tc.cloudfront.net/fargate-spot-prices.json, as read on 2026-09-28. Spot
  prices float; treat the figure as a snapshot. AWS Batch does not run Fargate Spot on ARM64,
  so there is no ``("FARGATE_SPOT", "arm64")`` rate.
* Billing rule: the same pricing page ("from the time you start to download your container
  image until the ... Task ... terminates, rounded up to the nearest second"), with a one-minute
  minimum per Linux task.
* vCPU/memory pairs: the AWS Batch API reference, ``ResourceRequirement.value``,
  https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Name of the packaged CSV inside ``batchsim/catalog/data/``.
FARGATE_DATA_FILE = "fargate_us-east-1.csv"

#: Where the packaged Fargate rates come from, on one line.
FARGATE_SOURCE = (
    "AWS Fargate us-east-1 Linux on-demand list prices (aws.amazon.com/fargate/pricing, 2026) and "
    "the Fargate Spot x86_64 price feed snapshot of 2026-09-28"
)

#: The capacity types of a Fargate compute environment, as AWS Batch spells them.
FARGATE_CAPACITIES = ("FARGATE", "FARGATE_SPOT")

#: Shortest duration Fargate bills for one Linux task, in seconds.
FARGATE_MINIMUM_BILLED_S = 60.0

_MIB_PER_GB = 1024.0
_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class FargateRates:
    """The two Fargate price dimensions, in USD per hour: per vCPU and per GB of memory."""

    usd_per_vcpu_hour: float
    usd_per_gb_hour: float


def parse_fargate_csv(text: str) -> dict[tuple[str, str], FargateRates]:
    """Read rates from the text of a CSV in the packaged format.

    The result is keyed by ``(capacity, architecture)``, e.g. ``("FARGATE_SPOT", "x86_64")``.
    """
    rates: dict[tuple[str, str], FargateRates] = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["capacity"], row["architecture"])
        rates[key] = FargateRates(float(row["usd_per_vcpu_hour"]), float(row["usd_per_gb_hour"]))
    return rates


@cache
def _packaged_rates() -> tuple[tuple[tuple[str, str], FargateRates], ...]:
    data = resources.files("batchsim.catalog") / "data" / FARGATE_DATA_FILE
    return tuple(parse_fargate_csv(data.read_text(encoding="utf-8")).items())


def load_fargate_rates() -> dict[tuple[str, str], FargateRates]:
    """Return the packaged us-east-1 rates keyed by ``(capacity, architecture)``.

    Capacities are ``FARGATE`` and ``FARGATE_SPOT``; architectures ``x86_64`` and ``arm64``.
    A missing key means AWS Batch does not offer that pair (``FARGATE_SPOT`` with ``arm64``).
    The file is read once per process; each call returns a fresh dict.
    """
    return dict(_packaged_rates())


def billed_duration_s(seconds: float) -> float:
    """Return the seconds Fargate bills for a task that ran ``seconds``.

    The duration is rounded up to a whole second, then raised to the one-minute minimum.
    """
    if seconds < 0:
        raise ValueError(f"a task cannot run for a negative time ({seconds} s)")
    return max(float(math.ceil(seconds)), FARGATE_MINIMUM_BILLED_S)


def task_cost_usd(rates: FargateRates, vcpus: float, memory_mib: float, seconds: float) -> float:
    """Return the USD cost of one Fargate task of ``vcpus`` and ``memory_mib`` run for ``seconds``.

    Cost = (vCPUs x vCPU rate + memory GB x GB rate) x billed seconds / 3600, where memory GB is
    ``memory_mib / 1024`` and billed seconds come from :func:`billed_duration_s` (whole seconds,
    at least 60).
    """
    usd_per_hour = (
        vcpus * rates.usd_per_vcpu_hour + memory_mib / _MIB_PER_GB * rates.usd_per_gb_hour
    )
    return usd_per_hour * billed_duration_s(seconds) / _SECONDS_PER_HOUR


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


# vCPUs -> (valid MEMORY values in MiB, step in MiB or None when the values are listed).
_MEMORY_MIB: dict[float, tuple[tuple[int, ...], int | None]] = {
    0.25: ((512, 1024, 2048), None),
    0.5: (_steps(1024, 4096, 1024), 1024),
    1.0: (_steps(2048, 8192, 1024), 1024),
    2.0: (_steps(4096, 16384, 1024), 1024),
    4.0: (_steps(8192, 30720, 1024), 1024),
    8.0: (_steps(16384, 61440, 4096), 4096),
    16.0: (_steps(32768, 122880, 8192), 8192),
}

#: The VCPU values AWS Batch accepts for jobs on Fargate, smallest first.
FARGATE_VCPU_VALUES: tuple[float, ...] = tuple(_MEMORY_MIB)


def valid_memory_mib(vcpus: float) -> tuple[int, ...]:
    """Return the MEMORY values (MiB) AWS Batch accepts on Fargate with ``vcpus`` vCPUs.

    The tuple is ascending; it is empty when ``vcpus`` is not in :data:`FARGATE_VCPU_VALUES`.
    """
    entry = _MEMORY_MIB.get(vcpus)
    return entry[0] if entry else ()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _memory_rule(vcpus: float) -> str:
    values, step = _MEMORY_MIB[vcpus]
    if step is None:
        listed = ", ".join(_number(v) for v in values[:-1])
        return f"{listed} or {_number(values[-1])} MiB"
    return f"{values[0]}\N{EN DASH}{values[-1]} MiB in steps of {step}"


def combination_problem(vcpus: float, memory_mib: float) -> str | None:
    """Say what is wrong with a Fargate VCPU/MEMORY pair, or return ``None`` when it is valid.

    The message names the valid values, e.g. ``"Fargate does not offer 3 vCPU; valid VCPU values:
    0.25, 0.5, 1, 2, 4, 8, 16"`` or ``"Fargate with 1 vCPU takes MEMORY 2048–8192 MiB in steps of
    1024; got 1000"``.
    """
    if vcpus not in _MEMORY_MIB:
        valid = ", ".join(_number(v) for v in FARGATE_VCPU_VALUES)
        return f"Fargate does not offer {_number(vcpus)} vCPU; valid VCPU values: {valid}"
    if memory_mib in _MEMORY_MIB[vcpus][0]:
        return None
    return (
        f"Fargate with {_number(vcpus)} vCPU takes MEMORY {_memory_rule(vcpus)}; "
        f"got {_number(memory_mib)}"
    )
