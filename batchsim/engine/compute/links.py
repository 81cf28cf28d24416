"""How a compute environment talks to the rest of the engine: two small typed interfaces.

A compute environment tells a :class:`CapacityListener` (the scheduler) when room may have
appeared and asks it whether a waiting job wants an idle instance; it tells :class:`HostEvents`
(the attempt runner) when a host gets a Spot notice or is reclaimed under its jobs.

Both are built after the compute environments: queues need their CEs, the runner needs the
queues and the scheduler needs both. So the model creates one :class:`EngineLinks` first, gives
it to every CE at construction, and attaches the scheduler and the runner to it once they exist
(see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from batchsim.engine.compute.environment import ComputeEnvironment
    from batchsim.engine.compute.instance import Instance
    from batchsim.engine.compute.spot import SpotInterruption


class CapacityListener(Protocol):
    """Whoever places waiting jobs (the scheduler)."""

    def request_pass(self) -> None:
        """Room may have appeared (or limits changed): look at the waiting jobs again."""

    def is_wanted(self, ce: ComputeEnvironment, instance: Instance) -> bool:
        """Return whether a waiting job could use the idle ``instance`` of ``ce``."""


class HostEvents(Protocol):
    """Whoever runs attempts on hosts (the attempt runner)."""

    def on_notice(self, job: Any, now: float, reclaim_at: float) -> None:
        """The host of ``job`` got a Spot interruption notice at ``now`` for ``reclaim_at``."""

    def interrupt(self, job: Any, cause: SpotInterruption, now: float) -> None:
        """End the attempt of ``job`` now: its host is being reclaimed (``cause``)."""


class EngineLinks:
    """The scheduler and the attempt runner as compute environments see them, attached once.

    Its attributes are the bound methods of the attached objects, so a call through the links
    costs no more than a call to the scheduler itself. Calling before :meth:`attach` raises
    AttributeError, and attaching twice raises RuntimeError.
    """

    __slots__ = ("request_pass", "is_wanted", "on_notice", "interrupt")

    request_pass: Callable[[], None]
    is_wanted: Callable[[ComputeEnvironment, Instance], bool]
    on_notice: Callable[[Any, float, float], None]
    interrupt: Callable[[Any, SpotInterruption, float], None]

    def attach(self, listener: CapacityListener, events: HostEvents) -> None:
        """Connect ``listener`` (capacity) and ``events`` (hosts); only once."""
        if hasattr(self, "request_pass"):
            raise RuntimeError("the engine links are already attached")
        self.request_pass = listener.request_pass
        self.is_wanted = listener.is_wanted
        self.on_notice = events.on_notice
        self.interrupt = events.interrupt
