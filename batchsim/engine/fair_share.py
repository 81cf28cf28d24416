"""Fair-share scheduling of one job queue: AWS scheduling policies (``fairsharePolicy``).

AWS says the scheduler tracks each share identifier's usage as vCPU-time × ``weightFactor``
and starts jobs of the share with the lowest usage, a lower weight getting more compute; it
does not publish the formula. batchsim's rule (docs/modelling.md):

    usage(share) = weightFactor × (vCPUs the share runs now + its average vCPUs in use)

where the average is exponentially weighted with time constant ``shareDecaySeconds`` (600 s
when 0, AWS's minimum window). Under saturation, equal usage means vCPUs in proportion to
1 / weightFactor; the history term lets a share that ran alone earlier yield to the others for
about a decay period; the running term makes each placement raise a share's usage, so one pass
interleaves the shares instead of giving all free room to the first.

``computeReservation`` keeps ``(computeReservation / 100) ** active shares`` of the queue's
maximum vCPUs for share identifiers that are not active yet (of an UNMANAGED compute
environment's ``unmanagedvCpus``, none without it); a share is active while it has a job that is
not SUCCEEDED or FAILED.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchsim.engine.compute import ComputeEnvironment
    from batchsim.scenario.schema import FairsharePolicy

DEFAULT_DECAY_S = 600.0  # AWS: shareDecaySeconds 0 means the minimum window of 600 s


class _Share:
    """What the policy knows of one share identifier."""

    __slots__ = ("running", "average", "updated_at", "jobs")

    def __init__(self) -> None:
        self.running = 0.0  # vCPUs its jobs hold now (STARTING or RUNNING)
        self.average = 0.0  # exponentially weighted average of ``running``
        self.updated_at = 0.0
        self.jobs = 0  # jobs not yet SUCCEEDED or FAILED (array children counted, not parents)


class FairShare:
    """The fair-share state of one queue (see the module docstring)."""

    def __init__(self, policy: FairsharePolicy, ces: list[ComputeEnvironment]):
        self.decay_s = float(policy.shareDecaySeconds) or DEFAULT_DECAY_S
        self.reservation = policy.computeReservation / 100.0
        self.weights = {
            d.shareIdentifier: d.weightFactor
            for d in policy.shareDistribution
            if not d.shareIdentifier.endswith("*")
        }
        self.prefixes = [
            (d.shareIdentifier[:-1], d.weightFactor)
            for d in policy.shareDistribution
            if d.shareIdentifier.endswith("*")
        ]
        self.ces = ces
        self.shares: dict[str, _Share] = {}
        self.running = 0.0  # vCPUs held by all shares
        self.active = 0  # shares with jobs not yet done

    def _share(self, share: str) -> _Share:
        state = self.shares.get(share)
        if state is None:
            state = self.shares[share] = _Share()
        return state

    def weight(self, share: str) -> float:
        """Return the share's weightFactor: its own entry, else its prefix entry's weight times
        the active identifiers under that prefix (they split the prefix's part), else 1."""
        weight = self.weights.get(share)
        if weight is not None:
            return weight
        for prefix, prefix_weight in self.prefixes:
            if share.startswith(prefix):
                members = sum(
                    1 for name, s in self.shares.items() if s.jobs and name.startswith(prefix)
                )
                return prefix_weight * max(members, 1)
        return 1.0

    def _age(self, state: _Share, now: float) -> None:
        """Bring the share's average up to ``now`` (its vCPUs were constant since the update)."""
        elapsed = now - state.updated_at
        if elapsed > 0:
            keep = math.exp(-elapsed / self.decay_s)
            state.average = state.average * keep + state.running * (1.0 - keep)
            state.updated_at = now

    def usage(self, share: str, now: float) -> float:
        """Return the share's usage now (lower starts first)."""
        state = self._share(share)
        self._age(state, now)
        return self.weight(share) * (state.running + state.average)

    def headroom(self) -> float:
        """Return the vCPUs that jobs may still take before the reservation for shares that
        are not active yet is reached."""
        limit = sum(ce.max_vcpus for ce in self.ces)
        reserved = self.reservation**self.active if self.reservation > 0 else 0.0
        base = sum(
            ce.max_vcpus if ce.reservation_vcpus is None else ce.reservation_vcpus
            for ce in self.ces
        )
        # NOTE: written so that base == limit (managed CEs) gives limit × (1 − reserved) exactly.
        return limit * (1.0 - reserved) + reserved * (limit - base) - self.running

    def joined(self, share: str, jobs: int = 1) -> None:
        """``jobs`` new jobs of ``share`` were created."""
        state = self._share(share)
        if not state.jobs:
            self.active += 1
        state.jobs += jobs

    def left(self, share: str) -> None:
        """A job of ``share`` reached SUCCEEDED or FAILED."""
        state = self.shares[share]
        state.jobs -= 1
        if not state.jobs:
            self.active -= 1

    def started(self, share: str, vcpus: float, now: float) -> None:
        """A job of ``share`` took ``vcpus`` (placed on an instance)."""
        state = self._share(share)
        self._age(state, now)
        state.running += vcpus
        self.running += vcpus

    def stopped(self, share: str, vcpus: float, now: float) -> None:
        """A job of ``share`` gave back ``vcpus`` (its attempt ended)."""
        state = self.shares[share]
        self._age(state, now)
        state.running -= vcpus
        self.running -= vcpus
