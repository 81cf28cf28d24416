"""What a running engine offers to watchers outside its event loop (a progress line): a
:class:`RunSample` of how far it has got, read through a function it hands to a
:class:`RunObserver`. Below both the engine and results/, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol


class RunSample(NamedTuple):
    """How far a running engine has got: simulated ``now`` (s), jobs submitted so far (array
    parents and children included) and attempts ended so far."""

    now: float
    jobs_submitted: int
    attempts_ended: int


class RunObserver(Protocol):
    """Watches a run from outside the event loop (e.g. a progress line): :meth:`start` gets a
    function returning a :class:`RunSample`, safe to call from another thread; :meth:`stop`
    is called when the run phase ends, also when it fails."""

    def start(self, sample: Callable[[], RunSample]) -> None:
        """The run phase begins; ``sample()`` reads the engine's state."""

    def stop(self) -> None:
        """The run phase is over."""
