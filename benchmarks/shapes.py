"""The workload shapes of the benchmark: each one a batchsim scenario built for N jobs.

Shapes (a)–(d) are queues a hand-written SimPy model can also simulate (its "twin", in
``handwritten.py``); (e)–(h) exercise parts of batchsim no short SimPy model has (scaling from
zero, Spot interruptions with checkpoints, dependencies, fair share) and are reported in jobs/s
only. A shape's "jobs" are units of work: array children count, array parents do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

ARRAY_MAX = 10_000  # AWS's arrayProperties.size limit


@dataclass(frozen=True)
class Workload:
    """A scenario as YAML text and the number of jobs (units of work) it submits."""

    yaml: str
    jobs: int


@dataclass(frozen=True)
class Shape:
    """One benchmark shape: how to build its scenario for N jobs and how to check it.

    ``slots`` jobs run at once (``job_vcpus`` each) on a fixed pool for the queue shapes;
    ``load`` is the utilisation ρ of the Poisson shapes, ``mean_service`` the mean runtime in s.
    ``twin`` names the hand-written model (``"mmc"``, ``"backlog"`` or ``None``) and ``check``
    the agreement test: ``"erlang"`` (mean wait vs Erlang C), ``"makespan"`` (Graham's bound
    and the twin's makespan) or ``None`` (every job reaches an end state; shape facts reported).
    """

    key: str
    name: str
    summary: str
    build: Callable[[int, Shape], Workload]
    twin: str | None
    check: str | None
    slots: int = 0
    job_vcpus: int = 1
    load: float = 0.0
    mean_service: float = 60.0

    @property
    def rate(self) -> float:
        """Poisson arrival rate in jobs/s, ``ρ c / mean`` (0 for shapes without one)."""
        return float(decimal(self.load * self.slots / self.mean_service)) if self.load else 0.0


def decimal(value: float) -> str:
    """Return ``value`` as a plain decimal YAML reads as a float (never ``1e-05``, a string)."""
    text = f"{value:.17f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def erlang_c_wait(c: int, rate: float, mean_service: float) -> tuple[float, float]:
    """Return (P(wait), mean queue wait in s) of an M/M/c queue, from Erlang C."""
    a = rate * mean_service  # offered load in servers
    if a >= c:
        return 1.0, math.inf
    b = 1.0  # Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = c * b / (c - a * (1.0 - b))
    return p_wait, p_wait * mean_service / (c - a)


# ------------------------------------------------------------------------------ YAML parts
def _fixed_pool(name: str, vcpus: int, instance_type: str) -> str:
    """Return a managed EC2 CE of exactly ``vcpus`` vCPUs, ready at t=0 (it never scales)."""
    return f"""\
  - computeEnvironmentName: {name}
    computeResources:
      type: EC2
      allocationStrategy: BEST_FIT_PROGRESSIVE
      minvCpus: {vcpus}
      maxvCpus: {vcpus}
      instanceTypes: [{instance_type}]
    simulation: {{minvCpusReadyAtStart: true, bootTime: 0s}}
"""


def _queue(name: str, ce: str, policy: str = "") -> str:
    """Return a job queue sending to one CE (fair share if ``policy`` names a policy)."""
    arn = f"\n    schedulingPolicyArn: {policy}" if policy else ""
    return f"""\
  - jobQueueName: {name}{arn}
    computeEnvironmentOrder: [{{order: 1, computeEnvironment: {ce}}}]
"""


def _unit_definition(vcpus: int, mean_s: float, memory: int = 256) -> str:
    """Return the job definition ``unit``: exponential runtime, no start or pull time."""
    return f"""\
  - jobDefinitionName: unit
    containerProperties:
      resourceRequirements: [{{type: VCPU, value: "{vcpus}"}}, {{type: MEMORY, value: "{memory}"}}]
    simulation: {{runtime: {{exponential: {{mean: {decimal(mean_s)}}}}}, startTime: 0s, imagePullTime: 0s}}
"""


def _scenario(name: str, ces: str, queues: str, definitions: str, workload: str, extra="") -> str:
    """Return a whole scenario from its YAML sections."""
    return (
        f"name: {name}\nsimulation: {{seed: 1}}\n{extra}computeEnvironments:\n{ces}"
        f"jobQueues:\n{queues}jobDefinitions:\n{definitions}workload:\n{workload}"
    )


def _arrays(name: str, n: int, size: int, submit: str, timing: str = "") -> str:
    """Return workload entries submitting ``n`` jobs as arrays of ``size`` (a rest as one more)."""
    full, rest = divmod(n, size)
    entries = []
    for entry, count, length in ((name, full, size), (f"{name}-rest", 1 if rest else 0, rest)):
        if not count:
            continue
        array = f", arrayProperties: {{size: {length}}}" if length > 1 else ""
        entries.append(
            f"  - name: {entry}\n    submit: {{{submit}{array}}}\n"
            + (timing.format(count=count) if timing else f"    count: {count}\n")
        )
    return "".join(entries)


# ------------------------------------------------------------------------------ builders
def build_mmc(n: int, shape: Shape) -> Workload:
    """Poisson arrivals onto a fixed pool of ``slots`` × ``job_vcpus`` vCPUs of c5.large."""
    workload = f"""\
  - name: stream
    submit: {{jobName: unit, jobQueue: q, jobDefinition: unit}}
    arrivals: {{poisson: {{rate: {decimal(shape.rate)}}}, count: {n}}}
"""
    text = _scenario(
        f"bench-{shape.key}",
        _fixed_pool("fixed", shape.slots * shape.job_vcpus, "c5.large"),
        _queue("q", "fixed"),
        _unit_definition(shape.job_vcpus, shape.mean_service),
        workload,
    )
    return Workload(text, n)


def build_backlog(n: int, shape: Shape) -> Workload:
    """All ``n`` jobs submitted at t=0 as arrays of up to 10,000 onto ``slots`` slots."""
    text = _scenario(
        f"bench-{shape.key}",
        _fixed_pool("fixed", shape.slots, "c5.large"),
        _queue("q", "fixed"),
        _unit_definition(1, shape.mean_service),
        _arrays("backlog", n, min(n, ARRAY_MAX), "jobName: unit, jobQueue: q, jobDefinition: unit"),
    )
    return Workload(text, n)


BURST_ARRAY = 2_500  # 2,500 four-vCPU children: one burst asks for 10,000 vCPUs


def build_scale_out(n: int, shape: Shape) -> Workload:
    """Poisson bursts (one an hour) of 2,500 four-vCPU jobs onto c5 instances scaling from 0."""
    ce = """\
  - computeEnvironmentName: burst
    computeResources:
      type: EC2
      allocationStrategy: BEST_FIT_PROGRESSIVE
      minvCpus: 0
      maxvCpus: 10000
      instanceTypes: [c5]
    simulation: {bootTime: {lognormal: {median: 90s, p95: 3m}}, scaleDownDelay: 5m}
"""
    definition = """\
  - jobDefinitionName: unit
    containerProperties:
      resourceRequirements: [{type: VCPU, value: "4"}, {type: MEMORY, value: "7168"}]
    simulation: {runtime: {exponential: {mean: 10m}}}
"""
    timing = "    arrivals: {{poisson: {{rate: 1/h}}, count: {count}}}\n"
    submit = "jobName: unit, jobQueue: q, jobDefinition: unit"
    workload = _arrays("burst", n, min(n, BURST_ARRAY), submit, timing)
    return Workload(_scenario("bench-e", ce, _queue("q", "burst"), definition, workload), n)


def build_spot(n: int, shape: Shape) -> Workload:
    """Poisson 4-vCPU jobs (mean 30 min) on Spot c5/m5 reclaimed every 4 h on average."""
    ce = """\
  - computeEnvironmentName: spot
    computeResources:
      type: SPOT
      allocationStrategy: SPOT_CAPACITY_OPTIMIZED
      minvCpus: 0
      maxvCpus: 1024
      instanceTypes: [c5, m5]
    simulation:
      bootTime: {lognormal: {median: 90s, p95: 3m}}
      scaleDownDelay: 5m
      spot: {meanTimeToInterruption: 4h}
"""
    definition = f"""\
  - jobDefinitionName: unit
    containerProperties:
      resourceRequirements: [{{type: VCPU, value: "4"}}, {{type: MEMORY, value: "7168"}}]
    retryStrategy:
      attempts: 5
      evaluateOnExit:
        - {{onStatusReason: "Host EC2*", action: RETRY}}
        - {{onReason: "*", action: EXIT}}
    simulation:
      runtime: {{exponential: {{mean: {decimal(shape.mean_service)}}}}}
      checkpoint: {{interval: 10m, cost: 15s, restartCost: 30s, onNotice: true}}
"""
    workload = f"""\
  - name: stream
    submit: {{jobName: unit, jobQueue: q, jobDefinition: unit}}
    arrivals: {{poisson: {{rate: {decimal(shape.rate)}}}, count: {n}}}
"""
    return Workload(_scenario("bench-f", ce, _queue("q", "spot"), definition, workload), n)


PIPELINE_STAGE = 2_500  # children per stage array
PIPELINE_EVERY_S = 3_000  # one pipeline submitted every 50 min (ρ ≈ 0.78 on 256 vCPUs)


def build_pipeline(n: int, shape: Shape) -> Workload:
    """Pipelines of four N_TO_N-chained arrays (2,500 one-vCPU jobs each) on 256 vCPUs."""
    stage = max(2, min(PIPELINE_STAGE, n // 4))
    pipelines = max(1, n // (4 * stage))
    entries = []
    for p in range(pipelines):
        for s in range(4):
            after = f", dependsOn: [{{jobId: p{p}-s{s - 1}, type: N_TO_N}}]" if s else ""
            entries.append(
                f"  - name: p{p}-s{s}\n    at: {p * PIPELINE_EVERY_S}\n"
                f"    submit: {{jobName: unit, jobQueue: q, jobDefinition: unit, "
                f"arrayProperties: {{size: {stage}}}{after}}}\n"
            )
    text = _scenario(
        "bench-g",
        _fixed_pool("fixed", 256, "c5.4xlarge"),
        _queue("q", "fixed"),
        _unit_definition(1, shape.mean_service),
        "".join(entries),
    )
    return Workload(text, 4 * stage * pipelines)


SHARES = (("gold", 0.5), ("silver", 1.0), ("bronze", 2.0))


def build_fair_share(n: int, shape: Shape) -> Workload:
    """Three Poisson streams, one per share identifier, on a fair-share queue of 64 slots."""
    policy = "".join(f"        - {{shareIdentifier: {s}, weightFactor: {w}}}\n" for s, w in SHARES)
    extra = (
        "schedulingPolicies:\n  - name: shares\n    fairsharePolicy:\n"
        "      shareDecaySeconds: 3600\n      computeReservation: 0\n"
        f"      shareDistribution:\n{policy}"
    )
    rate = decimal(shape.rate / len(SHARES))
    counts = [n // len(SHARES) + (1 if i < n % len(SHARES) else 0) for i in range(len(SHARES))]
    workload = "".join(
        f"  - name: {share}\n    submit: {{jobName: unit, jobQueue: q, jobDefinition: unit, "
        f"shareIdentifier: {share}}}\n    arrivals: {{poisson: {{rate: {rate}}}, count: {count}}}\n"
        for (share, _), count in zip(SHARES, counts, strict=True)
    )
    text = _scenario(
        "bench-h",
        _fixed_pool("fixed", shape.slots, "c5.large"),
        _queue("q", "fixed", "shares"),
        _unit_definition(1, shape.mean_service),
        workload,
        extra,
    )
    return Workload(text, n)


SHAPES = {
    s.key: s
    for s in (
        Shape("a", "light M/M/c", "64 one-vCPU slots, ρ=0.85 (14 % of jobs wait)",
              build_mmc, "mmc", "erlang", slots=64, load=0.85),
        Shape("b", "heavy M/M/c", "16 one-vCPU slots, ρ=0.95 (most jobs wait)",
              build_mmc, "mmc", "erlang", slots=16, load=0.95),
        Shape("c", "backlog", "all jobs at t=0 as arrays of ≤10,000 onto 64 one-vCPU slots",
              build_backlog, "backlog", "makespan", slots=64),
        Shape("d", "one job per instance", "2-vCPU jobs on 32 c5.large, ρ=0.9",
              build_mmc, "mmc", "erlang", slots=32, job_vcpus=2, load=0.9),
        Shape("e", "scale-out bursts", "Poisson bursts (1/h) of 2,500 × 4-vCPU jobs, c5, 0→10,000 vCPUs",
              build_scale_out, None, None, mean_service=600.0),
        Shape("f", "Spot + checkpoints", "4-vCPU jobs (mean 30 min) on Spot c5/m5 ≤1,024 vCPUs, "
              "reclaimed every 4 h on average, checkpoints every 10 min, ρ=0.7",
              build_spot, None, None, slots=256, load=0.7, mean_service=1800.0),
        Shape("g", "4-stage pipeline", "arrays of 2,500 chained N_TO_N, four stages, one "
              "pipeline every 50 min on 256 one-vCPU slots",
              build_pipeline, None, None),
        Shape("h", "fair share", "three share identifiers (weights 0.5/1/2), Poisson, "
              "64 one-vCPU slots, ρ=0.9",
              build_fair_share, None, "erlang", slots=64, load=0.9),
    )
}  # fmt: skip


def shape_with(key: str, capacity: int | None, load: float | None, mean: float | None) -> Shape:
    """Return shape ``key``, with shape (a)'s queue overridden by the given options."""
    shape = SHAPES[key]
    if key != "a":
        return shape
    return replace(
        shape,
        slots=capacity or shape.slots,
        load=load or shape.load,
        mean_service=float(decimal(mean)) if mean else shape.mean_service,
    )
