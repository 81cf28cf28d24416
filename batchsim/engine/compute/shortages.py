"""Capacity shortages: windows in which EC2 refuses launches of some types
(``simulation.capacityShortages``), and the types blocked after a refusal."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from batchsim.catalog import InstanceType
    from batchsim.engine.compute.allocation import TypeOption


class Shortage:
    """A capacity shortage window (engine form of ``simulation.capacityShortages``)."""

    __slots__ = ("types", "start_at", "end_at", "probability", "retry_after_s")

    def __init__(self, spec):
        self.types = None if spec.instanceTypes is None else set(spec.instanceTypes)
        self.start_at = spec.start
        self.end_at = math.inf if spec.end is None else spec.end
        self.probability = spec.probability
        self.retry_after_s = spec.retryAfter

    def covers(self, name: str, now: float) -> bool:
        """Return whether launches of type ``name`` are short at ``now``."""
        return self.start_at <= now < self.end_at and (self.types is None or name in self.types)


class Shortages:
    """The shortage windows of one compute environment and the types EC2 refused, each blocked
    until its window ends or its ``retryAfter`` passes. ``rng`` draws whether a launch in a
    window of probability < 1 is refused."""

    def __init__(self, specs, rng: np.random.Generator):
        self.windows = [Shortage(s) for s in specs]
        self.rng = rng
        self.blocked_until: dict[str, float] = {}  # instance type -> end of its launch failure

    def __bool__(self) -> bool:
        return bool(self.windows)

    def blocked(self, itype: InstanceType, now: float) -> bool:
        """Return whether EC2 refused ``itype`` and it is still blocked at ``now``."""
        until = self.blocked_until.get(itype.name)
        return until is not None and until > now

    def refusal(self, itype: InstanceType, now: float) -> float | None:
        """Return until when EC2 refuses a launch of ``itype`` now (and block the type until
        then), or None if the launch goes ahead."""
        for shortage in self.windows:
            if not shortage.covers(itype.name, now):
                continue
            sure = shortage.probability >= 1
            if sure or self.rng.random() < shortage.probability:
                until = (
                    shortage.end_at if sure else min(shortage.end_at, now + shortage.retry_after_s)
                )
                self.blocked_until[itype.name] = until
                return until
        return None

    def short_type(self, options: list[TypeOption], now: float) -> str | None:
        """Return the first of ``options`` blocked now, if any (for statusReason)."""
        if not self.blocked_until:
            return None
        for option in options:
            if self.blocked(option.itype, now):
                return option.itype.name
        return None
