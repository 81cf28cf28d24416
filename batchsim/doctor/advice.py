"""Findings about work wasted or at risk: seconds-long jobs, no timeout, long Spot jobs without
checkpoints, and a Spot scenario read from one seed.

Runtimes are the means of the scenario's own distributions (``mean_of``); Spot lifetimes are
the engine's (a type's own settings, the CE's, else its Spot Advisor bucket).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchsim.catalog.spot import bucket_rate_per_s
from batchsim.doctor.findings import Finding, Severity
from batchsim.scenario.distributions import mean_of
from batchsim.scenario.schema import SpotSettings, definition_name

if TYPE_CHECKING:
    from batchsim.doctor.locate import Locate, Path
    from batchsim.doctor.placement import EntryShape
    from batchsim.engine.simulation import Model
    from batchsim.scenario.schema import JobDefinition, Scenario, WorkloadEntry

SHORT_JOB_S = 60.0
"""Mean runtime under which a job is "seconds-long": AWS advises grouping tasks into jobs of 3-5
minutes, as scheduling a job of a few seconds may take longer than running it."""
LONG_SPOT_JOB_S = 1800.0
"""Mean runtime over which a Spot job should checkpoint: AWS advises keeping Spot work in
chunks of 30 minutes or less."""
ASSUMED_CHECKPOINT_COST_S = 60.0
"""The checkpoint write time C assumed for a job that has none yet (say the real one in
``simulation.checkpoint.cost``)."""
SPOT_KINDS = ("SPOT", "FARGATE_SPOT")

SHORT_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/bestpractice1.html"
TIMEOUT_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html"
SPOT_LINK = "https://docs.aws.amazon.com/batch/latest/userguide/best-practices.html"
SEED_LINK = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-interruptions.html"
RECLAIM_REASON = "Host EC2 (instance i-…) terminated."


@dataclass(frozen=True)
class Work:
    """A workload entry with its job definition (``index``/``def_index``: their positions) and
    the mean of its runtime (None when it has none) and where that runtime is written."""

    index: int
    entry: WorkloadEntry
    def_index: int
    definition: JobDefinition
    mean_s: float | None
    runtime_path: Path


def work_of(scenario: Scenario) -> list[Work]:
    """Return every workload entry with its definition and mean runtime (a trace entry: the
    mean run time of the jobs it replays)."""
    positions = {d.jobDefinitionName: i for i, d in enumerate(scenario.jobDefinitions)}
    found = []
    for index, entry in enumerate(scenario.workload):
        j = positions[definition_name(entry.submit.jobDefinition)]
        definition = scenario.jobDefinitions[j]
        if entry.trace is not None:
            found.append(_trace_work(scenario, index, j))
            continue
        own = entry.runtime is not None
        model = entry.runtime if own else definition.simulation.runtime
        path: Path = (
            ("workload", index, "runtime")
            if own
            else ("jobDefinitions", j, "simulation", "runtime")
        )
        mean = mean_of(model) if model is not None else None
        found.append(Work(index, entry, j, definition, mean, path))
    return found


def _trace_work(scenario: Scenario, index: int, j: int) -> Work:
    """The Work of trace entry ``index``: the mean of its jobs' run times (None: no job)."""
    from batchsim.doctor.placement import entry_trace_jobs

    entry = scenario.workload[index]
    work_s = entry_trace_jobs(scenario, entry).work_s
    mean = float(work_s.mean()) if len(work_s) else None
    return Work(index, entry, j, scenario.jobDefinitions[j], mean, ("workload", index, "trace"))


def short_jobs(work: list[Work], locate: Locate) -> list[Finding]:
    """Return a WARNING for each entry whose jobs run under a minute on average."""
    found = []
    for w in work:
        if w.mean_s is None or w.mean_s >= SHORT_JOB_S:
            continue
        sim = w.definition.simulation
        message = (
            f"the jobs of workload entry '{w.entry.name}' run {w.mean_s:.3g} s on average, while "
            f"each also spends {sim.startTime:g} s starting (plus {sim.imagePullTime:g} s pulling "
            "its image on a fresh instance) and waits for a scheduling pass: AWS advises grouping "
            "tasks so that each job runs 3-5 minutes"
        )
        path, line = locate(w.runtime_path)
        found.append(Finding(Severity.WARNING, "short-jobs", path, line, message, None, SHORT_LINK))
    return found


def missing_timeouts(work: list[Work], locate: Locate) -> list[Finding]:
    """Return a WARNING for each job definition without a timeout that some entry submits
    without one either."""
    bare: dict[int, list[str]] = {}
    for w in work:
        if w.definition.timeout is None and w.entry.submit.timeout is None:
            bare.setdefault(w.def_index, []).append(w.entry.name)
    found = []
    for j, entries in bare.items():
        name = next(w.definition.jobDefinitionName for w in work if w.def_index == j)
        message = (
            f"job definition '{name}' has no timeout and workload "
            f"{'entry' if len(entries) == 1 else 'entries'} {', '.join(repr(e) for e in entries)} "
            f"{'submits' if len(entries) == 1 else 'submit'} it without one: a hung attempt would hold its vCPUs (and the bill) until "
            "cancelled; AWS terminates an attempt that runs past timeout.attemptDurationSeconds"
        )
        path, line = locate(("jobDefinitions", j))
        found.append(
            Finding(Severity.WARNING, "no-timeout", path, line, message, None, TIMEOUT_LINK)
        )
    return found


def young_daly_interval_s(cost_s: float, mtbi_s: float) -> float:
    """Return the checkpoint interval that minimises the expected completion time to first
    order (Young/Daly): √(2·C·MTBI), with C the checkpoint cost and MTBI the mean time between
    interruptions, both in seconds."""
    return math.sqrt(2.0 * cost_s * mtbi_s)


def spot_without_checkpoints(
    work: list[Work], shapes: list[EntryShape], model: Model, scenario: Scenario, locate: Locate
) -> list[Finding]:
    """Return a WARNING for each entry whose jobs run over 30 min on average on a queue with a
    SPOT CE, without checkpoints, when the Young/Daly interval at the scenario's own
    interruption rate is shorter than the job."""
    found = []
    first = {item.index: item for item in reversed(shapes)}  # NOTE: a trace entry has several
    for w in work:
        item = first.get(w.index)
        if item is None or w.mean_s is None or w.mean_s <= LONG_SPOT_JOB_S:
            continue
        if (w.entry.checkpoint or w.definition.simulation.checkpoint) is not None:
            continue
        risk = _shortest_mtbi(model, scenario, item)
        if risk is None:
            continue
        mtbi_s, ce_name, type_name = risk
        interval_s = young_daly_interval_s(ASSUMED_CHECKPOINT_COST_S, mtbi_s)
        if interval_s >= w.mean_s:
            continue
        message = (
            f"the jobs of workload entry '{w.entry.name}' run {w.mean_s / 60:.0f} min on average on "
            f"Spot ('{ce_name}') without checkpoints, so a reclaim loses the whole attempt; at this "
            f"scenario's interruption rate (mean time between interruptions {mtbi_s / 3600:.3g} h "
            f"on {type_name}) a checkpoint every √(2·C·MTBI) = {interval_s / 60:.1f} min minimises "
            f"the expected completion time for a checkpoint costing C = {ASSUMED_CHECKPOINT_COST_S:g} s "
            "(Young/Daly); AWS advises checkpointing Spot work into chunks of 30 min or less"
        )
        path, line = locate(w.runtime_path)
        found.append(
            Finding(
                Severity.WARNING,
                "spot-without-checkpoint",
                path,
                line,
                message,
                RECLAIM_REASON,
                SPOT_LINK,
            )
        )
    return found


def _shortest_mtbi(
    model: Model, scenario: Scenario, item: EntryShape
) -> tuple[float, str, str] | None:
    """Return (mean time between interruptions in seconds, CE, which types) of the riskiest Spot
    types that fit the entry's jobs in a SPOT CE of its queue (None: no such type, or never
    reclaimed). "which types" names the type, or says that every fitting type has that MTBI."""
    specs = {ce.computeEnvironmentName: ce for ce in scenario.computeEnvironments}
    best: tuple[float, str, str] | None = None
    for ce in model.queues[item.queue].ces:
        spec = specs[ce.name]
        if spec.computeResources is None or spec.computeResources.type != "SPOT":
            continue
        settings = spec.simulation.spot or SpotSettings()
        lives = {o.itype.name: mean_lifetime_s(settings, o.itype) for o in ce.options(item.shape)}
        finite = {name: mtbi for name, mtbi in lives.items() if math.isfinite(mtbi)}
        if not finite:
            continue
        name = min(finite, key=lambda n: (finite[n], n))
        which = name if len(set(finite.values())) > 1 or len(finite) == 1 else "every type it fits"
        if best is None or finite[name] < best[0]:
            best = (finite[name], ce.name, which)
    return best


def mean_lifetime_s(settings: SpotSettings, itype) -> float:
    """Return the mean lifetime of a Spot instance of ``itype`` (seconds; inf: never reclaimed)."""
    lifetime = settings.type_lifetime_model(itype.name)
    if lifetime is None:
        return 1.0 / bucket_rate_per_s(itype.interruption_bucket)
    if isinstance(lifetime, float):
        return lifetime
    return mean_of(lifetime)


def single_seed(scenario: Scenario, source: str, locate: Locate) -> list[Finding]:
    """Return a NOTE when the scenario has Spot capacity: one seed is one draw of reclaims."""
    kinds = {ce.computeResources.type for ce in scenario.computeEnvironments if ce.computeResources}
    if not kinds & set(SPOT_KINDS):
        return []
    seed = scenario.simulation.seed
    message = (
        f"one run at seed {seed} is one draw of when Spot reclaims instances; interruptions, "
        f"retries and cost vary from seed to seed: run `batchsim compare {source} "
        "--replications 20` (or `batchsim sweep`) to see their spread"
    )
    path, line = locate(("simulation", "seed"))
    return [Finding(Severity.NOTE, "single-seed-spot", path, line, message, None, SEED_LINK)]
