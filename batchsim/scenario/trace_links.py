"""Array jobs and dependencies of a DescribeJobs trace: what it keeps beyond one row per job.

A DescribeJobs record may be an array parent (``arrayProperties.size``) whose children are
records of their own (ids ``<parent id>:<index>``), and may name the jobs it waited for
(``dependsOn``). :class:`TraceLinks` holds both by table row; :func:`link_rows` turns them into
:class:`Link` lists by position among the jobs an entry submits, once the window, skips and job
limit have chosen those jobs (a dependency on a job left out is counted, then ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WHOLE, N_TO_N, SEQUENTIAL, FAILED = "WHOLE", "N_TO_N", "SEQUENTIAL", "FAILED"
"""Link kinds: wait for the whole job (or one child of an array); child *i* waits for child *i*
of an array; child *i* waits for child *i − 1* of its own array; a job the replay does not
submit and the trace records as failed (the dependant fails at once, ``Dependent Job
failed``)."""


@dataclass(frozen=True)
class ArrayChildren:
    """The children of one array parent record, by index: run time in seconds (NaN when the
    trace holds none: no record, or it never ran), exit code (0: it succeeded), and whether
    it FAILED without ever starting (cancelled, or failed by a dependency: the replay fails
    it as it is created)."""

    run_time: np.ndarray
    exit_code: np.ndarray
    failed_unstarted: np.ndarray


@dataclass(frozen=True, eq=False)
class TraceLinks:
    """A DescribeJobs trace's arrays and dependencies, by row of its table.

    ``ids`` is each row's ``jobId``; ``children`` maps an array parent's row to its children;
    ``depends`` maps a row to its ``dependsOn`` as (jobId, type) pairs (type None: a plain
    dependency); ``child_of`` maps a child id (``<parent id>:<index>``) of a parent row to
    (parent row, index); ``failed_ids`` are the jobIds of the file's records that did not
    succeed; ``unstarted_failed`` the rows that FAILED without starting while they had
    dependencies (AWS's ``Dependent Job failed``).
    """

    ids: list[str]
    children: dict[int, ArrayChildren] = field(default_factory=dict)
    depends: dict[int, list[tuple[str | None, str | None]]] = field(default_factory=dict)
    child_of: dict[str, tuple[int, int]] = field(default_factory=dict)
    failed_ids: frozenset[str] = frozenset()
    unstarted_failed: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Link:
    """One job's wait on an earlier one: ``target`` is the earlier job's position in the entry's
    submissions (-1 for SEQUENTIAL, the array's own previous child, and for FAILED), ``index``
    the target array's child it names (None: the whole job), ``kind`` one of WHOLE, N_TO_N,
    SEQUENTIAL, FAILED; ``failed``: the trace records the target as failed (what the replay
    takes when the target is not submitted after all: skipped as unplaceable)."""

    target: int
    index: int | None
    kind: str
    failed: bool = False


@dataclass(frozen=True)
class LinkedJobs:
    """The links of the jobs an entry submits, by position: ``links`` per dependant,
    ``children`` per array, ``child_targets`` the arrays whose children some link names,
    ``targets`` every position some link names, and the counts a report shows."""

    links: dict[int, tuple[Link, ...]]
    children: dict[int, ArrayChildren]
    child_targets: frozenset[int]
    targets: frozenset[int]
    counts: dict[str, int]

    def needs_dependencies(self) -> bool:
        """Whether the replay waits on anything: a link, or a child that fails unstarted."""
        return bool(self.links) or any(c.failed_unstarted.any() for c in self.children.values())


def link_rows(links: TraceLinks, rows: np.ndarray) -> LinkedJobs:
    """Resolve ``links`` for the table rows ``rows`` (kept, in submission order): position ``p``
    is row ``rows[p]``. A dependency on a job not kept (outside the window, skipped, over the
    job limit, or not in the file) is counted as ``dependencies_outside``: dropped (taken as
    met) when the trace says that job succeeded or does not hold it, a FAILED link when the
    trace says it failed. A row that FAILED unstarted with no link left gets a FAILED link."""
    position = {int(row): p for p, row in enumerate(rows.tolist())}
    ids = {links.ids[row]: p for row, p in position.items() if links.ids[row]}
    resolved: dict[int, tuple[Link, ...]] = {}
    outside = 0
    for row, pairs in links.depends.items():
        p = position.get(row)
        if p is None:
            continue
        kept = []
        for job_id, kind in pairs:
            link = _link(links, ids, position, job_id, kind)
            outside += link is None or link.kind == FAILED
            if link is not None and link.target < p:
                kept.append(link)
        if row in links.unstarted_failed and not any(k.target >= 0 for k in kept):
            kept.append(Link(-1, None, FAILED, failed=True))
        if kept:
            resolved[p] = tuple(dict.fromkeys(kept))
    children = {position[row]: c for row, c in links.children.items() if row in position}
    named = [link for chain in resolved.values() for link in chain if link.target >= 0]
    return LinkedJobs(
        links=resolved,
        children=children,
        child_targets=frozenset(
            link.target for link in named if link.index is not None or link.kind == N_TO_N
        ),
        targets=frozenset(link.target for link in named),
        counts={"dependencies_outside": outside},
    )


def _link(
    links: TraceLinks,
    ids: dict[str, int],
    position: dict[int, int],
    job_id: str | None,
    kind: str | None,
) -> Link | None:
    """One ``dependsOn`` pair as a Link (None: it names no kept job, and none the trace
    records as failed)."""
    if kind == SEQUENTIAL:
        return Link(-1, None, SEQUENTIAL)
    if job_id is None:
        return None
    failed = job_id in links.failed_ids
    if job_id in ids:
        return Link(ids[job_id], None, N_TO_N if kind == N_TO_N else WHOLE, failed)
    parent = links.child_of.get(job_id)
    if parent is not None and parent[0] in position:
        return Link(position[parent[0]], parent[1], WHOLE, failed)
    return Link(-1, None, FAILED, failed=True) if failed else None


def depends_on(
    entry: str, linked: LinkedJobs, position: int
) -> list[tuple[str | None, str | None]]:
    """The ``dependsOn`` the replay gave the job at ``position`` of trace entry ``entry``, as
    (jobId, type) pairs with the replay's job ids (``<entry>-<position + 1>``, a child's
    ``…:<index>``); type None for a plain dependency, jobId None for SEQUENTIAL."""
    pairs: list[tuple[str | None, str | None]] = []
    for link in linked.links.get(position, ()):
        target = f"{entry}-{link.target + 1}"
        if link.kind == FAILED:
            continue  # NOTE: a job the replay never submitted: there is no id to name
        if link.kind == SEQUENTIAL:
            pairs.append((None, SEQUENTIAL))
        elif link.kind == N_TO_N:
            pairs.append((target, N_TO_N))
        else:
            pairs.append((target if link.index is None else f"{target}:{link.index}", None))
    return pairs
