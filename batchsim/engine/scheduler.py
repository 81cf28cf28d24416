"""The scheduler: places RUNNABLE jobs on ready instances and asks compute environments to scale.

A pass walks the queues by descending priority and, in each queue, the shapes in queue order,
placing jobs on the first CE in ``computeEnvironmentOrder`` with room now. What is left becomes
scale-out demand: each CE in order first counts room on instances still booting, then launches
what its allocation strategy picks, and passes the rest on to the next CE.
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

from batchsim.engine.compute import INSUFFICIENT_CAPACITY
from batchsim.engine.lifecycle import Lifecycle
from batchsim.engine.queue import COMPUTE_ENVIRONMENT_MAX_RESOURCE
from batchsim.engine.waits import WaitLog, fair_cause, wait_cause
from batchsim.records import MISCONFIGURATION, WaitCause

CAPACITY = "CAPACITY:"

if TYPE_CHECKING:
    from batchsim.engine.blocked import BlockedHeads
    from batchsim.engine.compute import ComputeEnvironment, Instance
    from batchsim.engine.consumables import Consumables, Placer
    from batchsim.engine.env import BatchEnv
    from batchsim.engine.queue import JobQueue, ShapeLine
    from batchsim.scenario.shapes import Shape

    # a line a pass left waiting, and whether the pass never tried it (strict FIFO, behind)
    Unplaced = tuple[JobQueue, ShapeLine, bool]


class Scheduler:
    """Runs scheduling passes when something changes (or every ``interval`` seconds if > 0)."""

    def __init__(
        self,
        env: BatchEnv,
        queues: list[JobQueue],
        ces: list[ComputeEnvironment],
        watch: BlockedHeads,
        interval_s: float = 0.0,
        consumables: Consumables | None = None,
    ):
        self.calendar = env.calendar
        # NOTE: sorted() is stable, so queues of equal priority keep their scenario order.
        self.queues = sorted(queues, key=lambda q: -q.priority)
        # whether queues share a CE: only then can a wait be for a higher-priority queue
        self._shared_ces = len({id(ce) for q in queues for ce in q.ces}) < sum(
            len(q.ces) for q in queues
        )
        self.ces = ces
        self.interval_s = interval_s
        self.blocked = watch  # reports blocked head jobs after each pass
        self._pass_pending = False
        self.passes = 0  # passes run so far (the suite checks they follow what changed)
        self.explanations = 0  # waiting lines looked at by _explain_wait so far (likewise)
        self._run_pass = self.run_pass  # NOTE: one bound method, not a new one per request
        # NOTE: the lifecycle asks this scheduler for passes, so the scheduler builds it (and
        # it its attempt runner): each gets its collaborators at construction.
        self.lifecycle = Lifecycle(env, queues, self, watch, WaitLog(env, interval_s > 0))
        self._start = self.lifecycle.start
        self.waits = self.lifecycle.waits
        self.consumables = consumables
        # NOTE: the two placers are attributes, not methods replaced on the instance (which a
        # mypyc-compiled class forbids): only runs with consumable resources place through the
        # gate (consumables.py).
        self._placer_single: Placer = self._place_single
        self._placer_nodes: Placer = self._place_nodes
        if consumables is not None:
            gate, life = consumables.gate, self.lifecycle
            self._placer_single = gate(self._place_single, life)
            self._placer_nodes = gate(self._place_nodes, life)
            self.lifecycle.on_job_ended(consumables.listener(self.request_pass))

    def reorder(self) -> None:
        """Re-sort the queues after a priority change (stable: ties keep scenario order)."""
        self.queues.sort(key=lambda q: -q.priority)

    def has_waiting(self) -> bool:
        """Whether a RUNNABLE job may still be placed: a wake-up (capacity or a price coming
        back, a floor instance booting) keeps the run going for it. Jobs AWS calls
        misconfigured wait forever and do not count."""
        if not self.lifecycle.waiting:
            return False
        consumables = self.consumables
        return any(
            line.jobs
            and line.blocked_reason is None
            and not _misconfigured(line)
            and (consumables is None or not consumables.head_waits(line))
            for queue in self.queues
            for line in queue.lines.values()
        )

    def request_pass(self) -> None:
        """Ask for a pass at the end of this instant, or at the next cycle if ``interval`` > 0.

        With no job waiting there is nothing to place or scale for, so no pass is made.
        """
        if self._pass_pending or not self.lifecycle.waiting:
            return
        self._pass_pending = True
        if self.interval_s > 0:
            now = self.calendar.now
            delay = math.ceil(now / self.interval_s) * self.interval_s - now
            self.calendar.call_later(delay, self._on_tick)
        else:
            self.calendar.at_instant_end = self._run_pass

    def is_wanted(self, ce: ComputeEnvironment, instance: Instance) -> bool:
        """Return whether a placeable waiting job of a queue using ``ce`` could use ``instance``
        (as a node, for an MNP job) and may start (within a fair-share queue's reservation).

        In a strict-FIFO queue only the jobs up to its first blocked line count: those behind
        a blocked head cannot start before it, and keeping idle instances for them would keep
        the headroom the head needs (the CE could never replace them with a type it fits).
        """
        for queue in self.queues:
            if ce in queue.ces:
                headroom = queue.fair.headroom() if queue.fair is not None else None
                strict = not queue.backfill
                for line in queue.ordered_lines() if strict else queue.placeable_lines():
                    if line.blocked_reason is not None:
                        break  # NOTE: only strict queues list lines that can never run
                    if self.consumables is not None and self.consumables.head_waits(line):
                        if strict:
                            break  # NOTE: nothing behind a head waiting for resources starts
                        continue  # NOTE: it waits for a job to end, not for this instance
                    if (
                        (headroom is None or line.shape.held_vcpus <= headroom)
                        and not _misconfigured(line)  # it waits for new limits, not this
                        and _wants(ce, instance, line.shape)
                    ):
                        return True
                    if strict and line.stuck_reason is not None:
                        break
        return False

    def _on_tick(self, _event) -> None:
        self.calendar.at_instant_end = self._run_pass

    def run_pass(self) -> None:
        """Place what fits now, then turn what is left into scale-out demand."""
        self._pass_pending = False
        self.passes += 1
        unplaced: list[Unplaced] = []
        for queue in self.queues:
            if not queue.backfill:
                unplaced.extend(self._place_strict(queue))
                continue
            lines = queue.placeable_lines()
            if queue.fair is not None:
                if lines:
                    unplaced.extend((queue, ln, False) for ln in self._place_fair(queue, lines))
            elif len(lines) == 1:  # NOTE: one shape waiting: FIFO within the line is all there is
                if not self._place_line(queue, lines[0]):
                    unplaced.append((queue, lines[0], False))
            elif lines:
                unplaced.extend((queue, ln, False) for ln in self._place_in_order(queue, lines))
        if unplaced:
            self._scale_out(unplaced)
        if self.blocked.watched:
            for queue in self.blocked.watched:
                self.blocked.check(queue)  # NOTE: placements may have made a blocked job the head

    def _place_strict(self, queue: JobQueue) -> list[Unplaced]:
        """Place the jobs of a strict-FIFO queue (backfill off) in order until a head cannot be
        placed, a line AWS calls misconfigured included (head-of-line blocking); return the
        lines left, that head's first, then those behind it (marked: the pass never tried
        them, so room on ready instances may be theirs)."""
        lines = queue.ordered_lines()
        if not lines:
            return []
        if queue.fair is not None:
            left = self._place_fair(queue, lines)
        else:
            left = self._place_in_order(queue, lines)
            left.sort(key=lambda line: line.jobs[0].seq)
        return [(queue, line, index > 0) for index, line in enumerate(left)]

    def _place_in_order(self, queue: JobQueue, lines: list[ShapeLine]) -> list[ShapeLine]:
        """Place jobs of several shapes in queue order; return the lines whose head did not fit.

        The next job is always the earliest-queued head among the lines still in play; a line
        whose head fits nowhere drops out of this pass, so later jobs of other shapes may
        backfill the room that head cannot use — unless the queue has backfill off (strict
        FIFO): then the first head that does not fit stops the queue for this pass.
        """
        heap = [(line.jobs[0].seq, index, line) for index, line in enumerate(lines)]
        heapq.heapify(heap)
        blocked = []
        while heap:
            _, index, line = heap[0]
            if line.blocked_reason is not None or not self._place_head(queue, line):
                heapq.heappop(heap)
                blocked.append(line)
                if not queue.backfill:
                    blocked.extend(waiting for _, _, waiting in heap)
                    break
            elif line.jobs:
                heapq.heapreplace(heap, (line.jobs[0].seq, index, line))
            else:
                heapq.heappop(heap)
        return blocked

    def _place_fair(self, queue: JobQueue, lines: list[ShapeLine]) -> list[ShapeLine]:
        """Place jobs of a fair-share queue; return the lines left with waiting jobs.

        The next job is the head of the line whose share has the lowest usage, then the
        highest scheduling priority, then the earliest queued; each placement raises its
        share's usage, so shares interleave. A job that would eat into the compute
        reservation, or fits nowhere, drops its line out of this pass (all lines, with
        backfill off).
        """
        fair, now = queue.fair, self.calendar.now
        assert fair is not None  # NOTE: only fair-share queues come here
        in_play = list(lines)
        left: list[ShapeLine] = []
        while in_play:
            line = min(
                in_play,
                key=lambda ln: (
                    # NOTE: ShapeLine.share is None only on FIFO queues; every line here has
                    # one, which mypy cannot see (and a cast() would be a call per key).
                    fair.usage(ln.share, now),  # type: ignore[arg-type]
                    -ln.scheduling_priority,
                    ln.jobs[0].seq,
                ),
            )
            if (
                line.blocked_reason is not None  # NOTE: only strict queues pass such lines
                or line.shape.held_vcpus > fair.headroom()
                or not self._place_head(queue, line)
            ):
                in_play.remove(line)
                left.append(line)
                if not queue.backfill:
                    left.extend(in_play)
                    break
            elif not line.jobs:
                in_play.remove(line)
        return left

    def _place_head(self, queue: JobQueue, line: ShapeLine) -> bool:
        """Place the first job of ``line`` on the first CE with room; return whether it was."""
        if line.shape.nodes:
            return self._placer_nodes(queue, line)
        return self._placer_single(queue, line)

    def _place_single(self, queue: JobQueue, line: ShapeLine) -> bool:
        """Place the first job of a line of single-node jobs (see _place_head)."""
        for ce in queue.ces:
            instance = ce.find_instance(line.shape)
            if instance is not None:
                self._start(line, ce, instance)
                return True
        return False

    def _place_nodes(self, queue: JobQueue, line: ShapeLine) -> bool:
        """Place a multi-node parallel job once one CE has all its nodes ready and empty: the
        main node gets the attempt, the other nodes are held with it."""
        for ce in queue.ces:
            hosts = ce.find_nodes(line.shape)
            if hosts is not None:
                self._start(line, ce, hosts[0], hosts[1:])
                return True
        return False

    def _place_line(self, queue: JobQueue, line: ShapeLine) -> bool:
        """Place jobs of one shape while some CE has room; return whether all were placed."""
        place = self._placer_nodes if line.shape.nodes else self._placer_single
        while line.jobs and place(queue, line):
            pass
        return not line.jobs

    def _scale_out(self, unplaced: list[Unplaced]) -> None:
        """Turn the jobs a pass left into scale-out demand, line by line in the pass's order.

        A strict-FIFO queue asks for nothing behind a line that can never run or that its CEs
        cannot take on in full: those jobs cannot start before it, and instances launched for
        them would idle (and be launched again after each scale-in) while it waits.
        """
        for ce in self.ces:
            ce.begin_round()
        room: dict[JobQueue, float] = {}  # fair-share queues: vCPUs left before the reservation
        halted: set[JobQueue] = set()  # strict-FIFO queues stopped at a line left waiting
        pressed: dict[ComputeEnvironment, JobQueue] = {}  # CEs a queue left demand on, first
        waits = self.waits
        for queue, line, untried in unplaced:
            if queue in halted:
                waits.note(queue, line, WaitCause.HEAD_BLOCKED)
                continue
            if line.blocked_reason is not None:  # NOTE: only strict queues pass such lines
                halted.add(queue)
                continue
            shape = line.shape
            jobs = len(line.jobs)
            held: WaitCause | None = None  # what limited the jobs asked for, if anything
            if queue.fair is not None:
                headroom = room.get(queue)
                if headroom is None:
                    headroom = queue.fair.headroom()
                if headroom < jobs * shape.held_vcpus:
                    held = fair_cause(queue.fair)
                    jobs = max(int(headroom // shape.held_vcpus), 0)
            if self.consumables is not None:
                startable = self.consumables.startable(line)
                if startable is not None and startable < jobs:
                    held, jobs = WaitCause.CONSUMABLE, startable
            nodes = shape.nodes or 1
            asked = left = jobs * nodes  # NOTE: an MNP job asks for all its nodes
            for ce in queue.ces:
                if left <= 0:
                    break
                if shape.nodes and not ce.can_ever_serve(shape):
                    continue  # NOTE: an MNP job's nodes must all come from one CE
                if untried and not shape.nodes:
                    left -= ce.promise_ready(shape, left)
                if left > 0 and (ce.booting or ce.can_grow()):
                    left -= _whole_jobs(ce.absorb(shape, left), shape)
            if queue.fair is not None:
                assert headroom is not None  # NOTE: set above for every fair-share queue
                # NOTE: only jobs some CE took on use up the headroom; the rest leave it to others.
                room[queue] = headroom - (asked - max(left, 0)) // nodes * shape.held_vcpus
            if left > 0:
                self._explain_wait(queue, line)
            elif _capacity_reason(line) or _misconfigured(line):
                # NOTE: the CEs took the whole demand on: the reason has lifted (a stale
                # MISCONFIGURATION one would keep is_wanted from keeping the new instance).
                self.lifecycle.clear_stuck(queue, line)
            # NOTE: a backed-up line is found waiting for maxvCpus pass after pass: that case is
            # told apart inline (no call); anything else asks wait_cause, and records a change.
            if not (
                line.why is WaitCause.MAX_VCPUS
                and (left > 0 if held is None else held is WaitCause.MAX_VCPUS)
                and not untried
                and not pressed
                and line.stuck_reason is None
                and queue.ces[0].enabled  # NOTE: else it may wait for a DISABLED CE
            ):
                cause = wait_cause(line, untried, held, jobs, left, queue.ces)
                if cause is not line.why or (pressed and cause is WaitCause.MAX_VCPUS):
                    self._note_wait(queue, line, cause, pressed)
            if left > 0 and self._shared_ces:
                for ce in queue.ces:
                    pressed.setdefault(ce, queue)
            if not queue.backfill and (left > 0 or jobs < len(line.jobs)):
                halted.add(queue)

    def _note_wait(
        self,
        queue: JobQueue,
        line: ShapeLine,
        cause: WaitCause,
        pressed: dict[ComputeEnvironment, JobQueue],
    ) -> None:
        """Record why ``line`` waits (engine/waits.py): ``cause``, or PRIORITY when a queue of
        higher priority left demand on one of its CEs earlier in this round."""
        if cause is WaitCause.MAX_VCPUS and pressed:
            for ce in queue.ces:
                other = pressed.get(ce)
                if other is not None and other.priority > queue.priority:
                    self.waits.note(queue, line, WaitCause.PRIORITY, other)
                    return
        self.waits.note(queue, line, cause)

    def _explain_wait(self, queue: JobQueue, line: ShapeLine) -> None:
        """Give jobs left without capacity AWS's blocked reason, when there is one.

        A line found waiting only for room is not looked at again until some CE of the queue
        changes what it could launch or run (``ComputeEnvironment.version``): in a backed-up
        queue every pass would otherwise find the same answer.
        """
        ces = queue.ces
        version = ces[0].version if len(ces) == 1 else sum(ce.version for ce in ces)
        if line.waits_for_room_at == version:  # NOTE: versions only grow; a stale one never matches
            return
        self.explanations += 1
        if not any(ce.could_place_later(line.shape) for ce in queue.ces):
            if not any(not ce.enabled and ce.can_ever_serve(line.shape) for ce in queue.ces):
                # NOTE: after an infrastructure update no type may fit: the reason a queue
                # created with those types gives (JOB_RESOURCE_REQUIREMENT), else MAX_RESOURCE.
                reason = queue.never_placeable_reason(line.shape)
                self.lifecycle.mark_stuck(queue, line, reason or COMPUTE_ENVIRONMENT_MAX_RESOURCE)
                return
            # NOTE: it waits for a DISABLED CE, for which AWS documents no blocked reason: none
            # (a time-limit action must not cancel jobs during a temporary disable).
            if line.stuck_reason is not None:
                self.lifecycle.clear_stuck(queue, line)
            line.waits_for_room_at = version
            return
        for ce in queue.ces:
            short = ce.short_type_for(line.shape)
            if short is not None:
                self.lifecycle.mark_stuck(
                    queue, line, INSUFFICIENT_CAPACITY.format(instance_type=short)
                )
                return
        if _capacity_reason(line):
            # NOTE: capacity is back; the jobs now wait for room only
            self.lifecycle.clear_stuck(queue, line)
        line.waits_for_room_at = version


def _whole_jobs(absorbed: int, shape: Shape) -> int:
    """Round the nodes a CE absorbed up to whole MNP jobs: a job partly served by a CE waits
    for that CE, its other nodes are not asked of the next one."""
    if not shape.nodes or not absorbed:
        return absorbed
    return math.ceil(absorbed / shape.nodes) * shape.nodes


def _wants(ce: ComputeEnvironment, instance: Instance, shape: Shape) -> bool:
    """Whether a job of ``shape`` could use ``instance`` of ``ce`` (an MNP job: as a node)."""
    if shape.nodes:
        return ce.multinode_ok and instance.itype.name == shape.node_type
    return instance.fits(shape)


def _misconfigured(line: ShapeLine) -> bool:
    """Whether the line's jobs carry a MISCONFIGURATION:… reason (they wait for new limits)."""
    return (line.stuck_reason or "").startswith(MISCONFIGURATION)


def _capacity_reason(line: ShapeLine) -> bool:
    """Whether the line's jobs carry a CAPACITY:… reason (one that lifts when capacity returns)."""
    return (line.stuck_reason or "").startswith(CAPACITY)
