"""Time-binned aggregates of a run's intervals: what the HTML report draws at any size.

A million jobs cannot be drawn one glyph each, so the report's Gantt chart and cost curve are
built from fixed grids: ``rows × bins`` integrals of weighted intervals, computed exactly (an
interval shorter than a bin still counts its whole area) in O(intervals + rows × bins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from batchsim.records import Outcome

TIME_BINS = 400
"""Time bins across a run: about one per pixel column of the report's wide figures."""
MAX_GANTT_ROWS = 40
"""Instance rows of the Gantt chart; more instances are grouped into this many rows."""


def time_edges(end_s: float, bins: int = TIME_BINS) -> np.ndarray:
    """Return ``bins + 1`` equal bin edges from 0 to ``end_s`` seconds (1 s when ``end_s`` ≤ 0)."""
    return np.linspace(0.0, max(float(end_s), 1.0), bins + 1)


def binned_overlap(
    rows: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    weights: np.ndarray,
    edges: np.ndarray,
    n_rows: int,
) -> np.ndarray:
    """Return the ``(n_rows, bins)`` integrals of ``weights`` over the intervals
    ``[starts, ends)``, each added to its row of ``rows``, cut at the equal ``edges``.

    Units are weight × seconds (vCPUs → vCPU-seconds, dollars per second → dollars). Parts of
    an interval outside the edges are dropped.
    """
    bins = len(edges) - 1
    width = edges[1] - edges[0]
    lo, hi = edges[0], edges[-1]
    s, e = np.clip(starts, lo, hi), np.clip(ends, lo, hi)
    keep = e > s
    rows, s, e, w = rows[keep], s[keep], e[keep], weights[keep]
    first = np.minimum(((s - lo) // width).astype(np.int64), bins - 1)
    last = np.minimum(((e - lo) // width).astype(np.int64), bins - 1)
    same = first == last
    out = np.zeros((n_rows, bins + 1))
    flat = out.reshape(-1)
    stride = bins + 1
    # One bin: the whole interval. Otherwise the two partial ends, and full bins in between
    # through a difference array (one +w, one -w per interval, summed along the row).
    _add(flat, rows * stride + first, np.where(same, w * (e - s), w * (edges[first + 1] - s)))
    split = ~same
    _add(flat, rows[split] * stride + last[split], w[split] * (e[split] - edges[last[split]]))
    steps = np.zeros_like(out)
    step_flat = steps.reshape(-1)
    _add(step_flat, rows[split] * stride + first[split] + 1, w[split])
    _add(step_flat, rows[split] * stride + last[split], -w[split])
    out += np.cumsum(steps, axis=1) * width
    return out[:, :bins]


def _add(target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """Add ``values`` at ``index`` of the flat ``target`` (repeated indices accumulate)."""
    target += np.bincount(index, weights=values, minlength=len(target))


@dataclass(frozen=True)
class Occupancy:
    """The Gantt chart's grid: ``busy`` / ``alive`` vCPU-seconds per row and time bin.

    ``labels`` name the rows (an instance, or a group of instances in launch order), ``edges``
    are the bin edges in seconds and ``reclaims`` the (row, time) of every Spot reclaim.
    """

    labels: list[str]
    edges: np.ndarray
    busy: np.ndarray
    alive: np.ndarray
    reclaims: tuple[np.ndarray, np.ndarray]

    def share(self) -> np.ndarray:
        """Return busy ÷ alive per cell: NaN where no instance of the row was up."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.alive > 0, self.busy / self.alive, np.nan)


def instance_rows(instances: pd.DataFrame, max_rows: int = MAX_GANTT_ROWS) -> np.ndarray:
    """Return each instance's row (instances in launch order; groups when more than
    ``max_rows``), aligned with ``instances``."""
    order = np.lexsort((instances["instanceId"].to_numpy(str), _floats(instances, "launchedAt")))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    if len(order) <= max_rows:
        return rank
    return rank * max_rows // len(order)


def occupancy(
    instances: pd.DataFrame, attempts: pd.DataFrame, end_s: float, bins: int = TIME_BINS
) -> Occupancy:
    """Return the Gantt grid of ``instances`` and the ``attempts`` run on them up to ``end_s``."""
    rows = instance_rows(instances)
    n_rows = int(rows.max()) + 1 if len(rows) else 0
    edges = time_edges(end_s, bins)
    launched = _floats(instances, "launchedAt")
    ended = np.nan_to_num(_floats(instances, "terminatedAt"), nan=edges[-1])
    vcpus = _floats(instances, "vcpus")
    alive = binned_overlap(rows, launched, ended, vcpus, edges, n_rows)
    # NOTE: a hash lookup of every attempt's instance at once; attempts never placed get -1.
    found = pd.Index(instances["instanceId"]).get_indexer(attempts["instanceId"])
    on = np.where(found >= 0, rows[found], -1)
    began = _floats(attempts, "startingAt")
    stopped = np.nan_to_num(_floats(attempts, "stoppedAt"), nan=edges[-1])
    known = (on >= 0) & np.isfinite(began)
    vcpus_held = _floats(attempts, "vcpus")
    busy = binned_overlap(on[known], began[known], stopped[known], vcpus_held[known], edges, n_rows)
    reclaimed = instances["endReason"].to_numpy(object) == Outcome.SPOT_INTERRUPTED.value
    labels = _row_labels(instances, rows, n_rows)
    return Occupancy(labels, edges, busy, alive, (rows[reclaimed], ended[reclaimed]))


def _row_labels(instances: pd.DataFrame, rows: np.ndarray, n_rows: int) -> list[str]:
    """One instance: its type and id's last digits; a group: its instance count."""
    if n_rows == len(rows):
        types, ids = instances["instanceType"].tolist(), instances["instanceId"].tolist()
        labels = [""] * n_rows
        for row, kind, ident in zip(rows.tolist(), types, ids, strict=True):
            labels[row] = f"{kind} …{ident[-4:]}"
        return labels
    counts = np.bincount(rows, minlength=n_rows)
    first = np.concatenate([[1], np.cumsum(counts)[:-1] + 1])
    return [f"#{a}–{a + n - 1}" for a, n in zip(first.tolist(), counts.tolist(), strict=True)]


def cost_over_time(instances: pd.DataFrame, end_s: float, bins: int = TIME_BINS) -> pd.DataFrame:
    """Return the cost accumulated by each lifecycle at every bin edge, in dollars.

    Each instance's bill (``costUsd``) is spread evenly over its life, launch to termination,
    so the last row equals the total cost by lifecycle. Index: the edges in seconds.
    """
    edges = time_edges(end_s, bins)
    lifecycles = sorted(set(instances["lifecycle"].tolist()))
    code = {name: i for i, name in enumerate(lifecycles)}
    rows = np.array([code[n] for n in instances["lifecycle"].tolist()], dtype=np.int64)
    launched = _floats(instances, "launchedAt")
    ended = np.nan_to_num(_floats(instances, "terminatedAt"), nan=edges[-1])
    # NOTE: a bill for no time (60-s minimum of an instance gone at once) is laid on 1 µs.
    ended = np.maximum(ended, launched + 1e-6)
    rate = _floats(instances, "costUsd") / (ended - launched)
    spent = binned_overlap(rows, launched, ended, rate, edges, len(lifecycles))
    cumulative = np.concatenate([np.zeros((len(lifecycles), 1)), np.cumsum(spent, axis=1)], 1)
    return pd.DataFrame(cumulative.T, index=edges, columns=lifecycles)


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return ``column`` of ``frame`` as float64 (missing values as NaN)."""
    return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
