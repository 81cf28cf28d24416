"""Scalar samplers over vectorised draws: the part of a distribution the engine calls per job.

Kept apart from distributions.py (pydantic models, interpreted) so that the compiled build
(setup.py) can compile these two functions: mypyc turns the closure :func:`chunked` returns into
a native callable, which the engine calls once or twice per job.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Sampler = Callable[[], float]
CHUNK = 1024


def chunked(draw: Callable[[int], np.ndarray]) -> Sampler:
    """Wrap a vectorised ``draw(n)`` into a scalar sampler that refills in chunks."""
    buffer: list[float] = []

    def sample() -> float:
        if not buffer:
            buffer.extend(draw(CHUNK).tolist()[::-1])
        return buffer.pop()

    return sample


def constant(value: float) -> Sampler:
    """Return a sampler that always gives ``value``."""
    return lambda: value
