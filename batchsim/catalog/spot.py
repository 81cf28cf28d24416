"""Spot figures of the catalog: Advisor interruption buckets as rates, and Spot price points.

Prices default to on-demand × (1 − Spot Advisor savings); a scenario may fix a price or give a
series per type (``override``: its ``simulation.spot.instanceTypes.<type>`` block, read by its
``price`` and ``priceSeries`` fields only, so the catalog needs nothing from the scenario layer).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchsim.catalog.instance_types import InstanceType

#: Midpoints of the Spot Advisor buckets <5 %, 5–10 %, 10–15 %, 15–20 %, >20 % (monthly share).
BUCKET_MIDPOINTS = (0.025, 0.075, 0.125, 0.175, 0.25)
#: Bucket assumed for a type the advisor does not list (the riskiest: no data, no promise).
UNKNOWN_BUCKET = 4
MONTH_S = 720 * 3600.0


def bucket_rate_per_s(bucket: int | None) -> float:
    """Return the interruption rate (per second) of a Spot Advisor bucket: the monthly share p
    at the bucket's midpoint as λ = −ln(1 − p) / 720 h (an unknown bucket counts as the last)."""
    p = BUCKET_MIDPOINTS[UNKNOWN_BUCKET if bucket is None else bucket]
    return -math.log(1.0 - p) / MONTH_S


def advisor_price(itype: InstanceType) -> float | None:
    """Return the Spot price implied by the Spot Advisor savings, or None if it has no entry."""
    if itype.spot_savings_pct is None:
        return None
    return itype.on_demand_price_per_hour * (1.0 - itype.spot_savings_pct / 100.0)


def price_points(itype: InstanceType, override: Any) -> list[tuple[float, float]] | None:
    """Return a type's Spot price steps [(from, USD/h)]: the scenario's series or price, else the
    Spot Advisor's; None when neither is known."""
    if override is not None and override.priceSeries is not None:
        return [(p.at, p.price) for p in override.priceSeries]
    price = (
        override.price
        if override is not None and override.price is not None
        else advisor_price(itype)
    )
    return None if price is None else [(0.0, price)]
