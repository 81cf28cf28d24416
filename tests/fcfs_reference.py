"""An independent strict first-come-first-served replay of an SWF log (the traces' exact check).

Jobs start in submission order on P processors; the head blocks until enough processors are
free; jobs with no run time (-1), no processors or more than P are skipped and counted. Shared
by ``tests/test_traces.py`` and ``benchmarks/trace_replay.py``; it imports nothing of batchsim.
:func:`fixed_cluster` is the batchsim scenario whose replay must equal it (YAML text only).
"""

from __future__ import annotations

import gzip
import heapq
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Replay:
    """Makespan (first kept submission to last end), mean wait, jobs run and jobs skipped."""

    makespan_s: float
    mean_wait_s: float
    jobs: int
    skipped: int


def swf_rows(path: Path) -> list[tuple[float, float, float]]:
    """(submit, run time, processors) of every data line, sorted by submit time (stable);
    processors are the allocated ones, else the requested ones."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    rows = []
    with opener(path, "rt") as lines:
        for line in lines:
            fields = line.split()
            if not fields or fields[0].startswith(";"):
                continue
            allocated, requested = float(fields[4]), float(fields[7])
            rows.append(
                (float(fields[1]), float(fields[3]), allocated if allocated > 0 else requested)
            )
    return sorted(rows, key=lambda row: row[0])


def fcfs(rows: list[tuple[float, float, float]], processors: int) -> Replay:
    """Replay ``rows`` strictly FCFS on ``processors`` over a heap of (end, processors)."""
    free, running = processors, []
    last_start, first, last_end, waits, skipped = float("-inf"), None, 0.0, [], 0
    for submit, run_time, size in rows:
        if run_time < 0 or size < 1 or size > processors:
            skipped += 1
            continue
        first = submit if first is None else first
        now = max(submit, last_start)
        while running and (running[0][0] <= now or free < size):
            end, held = heapq.heappop(running)
            free, now = free + held, max(now, end)
        heapq.heappush(running, (now + run_time, size))
        free -= size
        last_start, last_end = now, max(last_end, now + run_time)
        waits.append(now - submit)
    if first is None:
        return Replay(0.0, 0.0, 0, skipped)
    return Replay(last_end - first, sum(waits) / len(waits), len(waits), skipped)


def brute_force(rows: list[tuple[float, float, float]], processors: int) -> Replay:
    """The same replay by stepping whole seconds (integer times only): at each second, jobs
    that end free their processors, then the head starts while it fits. For small logs."""
    queue = [r for r in rows if not (r[1] < 0 or r[2] < 1 or r[2] > processors)]
    skipped, waits, ends, busy, t, index = len(rows) - len(queue), [], [], [], 0, 0
    if not queue:
        return Replay(0.0, 0.0, 0, skipped)
    t = int(queue[0][0])
    while index < len(queue):
        while index < len(queue) and queue[index][0] <= t:
            busy = [(end, size) for end, size in busy if end > t]  # a 0 s job ends at once
            submit, run_time, size = queue[index]
            if sum(s for _, s in busy) + size > processors:
                break
            busy.append((t + run_time, size))
            waits.append(t - submit)
            ends.append(t + run_time)
            index += 1
        t += 1
    return Replay(max(ends) - queue[0][0], sum(waits) / len(waits), len(waits), skipped)


def fixed_cluster(processors: int, trace: str, extra: str = "") -> str:
    """The exact check's scenario: one UNMANAGED instance of ``processors`` vCPUs, strict FIFO
    (backfill off), no start or pull time, one processor = one vCPU; ``trace`` is the workload
    entry's ``trace:`` value (queue ``q`` submits it; ``other`` is a second, empty queue)."""
    return f"""
name: fcfs
customInstanceTypes:
  - {{instanceType: site.p{processors}, vcpus: {processors}, memory: 4096GiB, onDemandPricePerHour: 1.0}}
computeEnvironments:
  - computeEnvironmentName: fixed
    type: UNMANAGED
    simulation: {{instances: [{{instanceType: site.p{processors}}}]}}
jobQueues:
  - jobQueueName: q
    priority: 1
    computeEnvironmentOrder: [{{order: 1, computeEnvironment: fixed}}]
    simulation: {{backfill: false}}
  - jobQueueName: other
    priority: 1
    computeEnvironmentOrder: [{{order: 1, computeEnvironment: fixed}}]
    simulation: {{backfill: false}}
jobDefinitions:
  - jobDefinitionName: proc
    type: container
    containerProperties:
      image: busybox
      resourceRequirements: [{{type: VCPU, value: "1"}}, {{type: MEMORY, value: "64"}}]
    simulation: {{startTime: 0s, imagePullTime: 0s}}
workload:
  - name: site
    submit: {{jobName: site, jobQueue: q, jobDefinition: proc}}
    trace: {trace}{extra}
"""
