"""The shape of a story: :class:`Step` and :class:`Story`, plain values (``--json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Step:
    """One part of a job's story: it was in ``state`` from ``start_at`` (s from t=0) for
    ``length_s`` seconds (None for the end) because of ``cause`` (a short code), told in
    ``text``; ``attempt`` numbers the attempt it belongs to (None before the first)."""

    state: str
    start_at: float
    length_s: float | None
    cause: str
    text: str
    attempt: int | None = None


@dataclass(frozen=True)
class Story:
    """What happened to one job (``job_id``, ``job_name``, ``workload`` entry, ``queue``): its
    ``steps`` in time order and how it ended (``status``, ``status_reason``, ``exit_code``)."""

    job_id: str
    job_name: str
    workload: str
    queue: str
    status: str
    status_reason: str | None
    exit_code: int | None
    attempts: int
    steps: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the story as plain JSON-ready values (what ``explain --json`` prints)."""
        return asdict(self)
