"""Columns derived from the engine's records, defined once for the tables (``tables.py``) and
the summary (``metrics.py``), which reads the records without building the tables."""

from __future__ import annotations

import numpy as np

from batchsim.records import Columns


def queue_waits(attempts: Columns) -> np.ndarray:
    """Each attempt's queue wait, RUNNABLE → STARTING (s); NaN when it never left RUNNABLE."""
    return attempts["startingAt"] - attempts["runnableAt"]


def launch_order(instances: Columns) -> np.ndarray:
    """The positions of the instance records in launch order (the instances table's rows)."""
    return np.argsort(instances["launchedAt"], kind="stable")


def run_seconds(instances: Columns) -> np.ndarray:
    """How long each instance lived (s): launch to termination (both set for every record)."""
    return instances["terminatedAt"] - instances["launchedAt"]
