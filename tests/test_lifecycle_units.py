"""Unit tests of the job lifecycle: the transition table, queue order, retry matching,
checkpoint progress and the side effects the Lifecycle owns (engine/lifecycle.py).

The engine's objects are built here around a real UNMANAGED compute environment of a few fixed
hosts (so the same tests run against the mypyc-compiled engine, which accepts no stand-ins for
its typed arguments), and every number is computed by hand.
"""

from __future__ import annotations

import itertools
import random

import pytest

from batchsim.catalog import load_catalog
from batchsim.engine.blocked import BlockedHeads
from batchsim.engine.compute import ComputeEnvironment, EngineLinks, Instance, build_ce
from batchsim.engine.dependencies import DEPENDENT_JOB_FAILED, Dependencies
from batchsim.engine.env import BatchEnv
from batchsim.engine.fair_share import FairShare
from batchsim.engine.job import STAMP, TERMINAL, TRANSITIONS, Job, JobState
from batchsim.engine.lifecycle import Lifecycle, sources
from batchsim.engine.queue import JobQueue
from batchsim.engine.recorder import Outcome
from batchsim.engine.retry import ExitRule, RetryPolicy, glob_match
from batchsim.engine.scheduler import Scheduler
from batchsim.engine.spec import CheckpointSpec, JobSpec, Shape
from batchsim.errors import IllegalTransition, InternalError
from batchsim.scenario.schema import ComputeEnvironment as CESpec
from batchsim.scenario.schema import CustomInstanceType, FairsharePolicy, SimulationSettings

S = JobState
SMALL, BIG = Shape(1, 512.0), Shape(4, 2048.0)


# ------------------------------------------------------------------------------ collaborators
class Quiet:
    """The scheduler as a compute environment sees it (``EngineLinks``), when the test counts
    only the lifecycle's own pass requests: room freed on a host asks for nothing here."""

    def request_pass(self) -> None:
        pass

    def is_wanted(self, ce: ComputeEnvironment, instance: Instance) -> bool:
        return False


def fixed_ce(env: BatchEnv, vcpus: tuple[int, ...]) -> tuple[ComputeEnvironment, EngineLinks]:
    """A real UNMANAGED compute environment ``ce`` of fixed hosts, one per entry of ``vcpus``
    (type ``host.<n>``: n vCPUs, 4 GiB per vCPU, so memory never binds), and its links, which
    the caller attaches; :func:`ready` then makes the hosts ready at t=0. It never scales."""
    custom = [
        CustomInstanceType(
            instanceType=f"host.{v}", vcpus=v, memory=4096 * v, onDemandPricePerHour=0.1
        )
        for v in sorted(set(vcpus))
    ]
    spec = CESpec.model_validate(
        {
            "computeEnvironmentName": "ce",
            "type": "UNMANAGED",
            "simulation": {"instances": [{"instanceType": f"host.{v}"} for v in vcpus]},
        }
    )
    links = EngineLinks()
    catalog = load_catalog().with_custom(custom)
    ce = build_ce(env, spec, catalog, SimulationSettings(), links)
    ce.start()
    return ce, links


def ready(env: BatchEnv) -> None:
    """Run the calendar through t=0 only: the fixed hosts become ready, the clock stays at 0."""
    while env.calendar.heap and env.calendar.heap[0][0] <= 0.0:
        env.step()


class Passes:
    """Counts the scheduling passes asked for."""

    def __init__(self) -> None:
        self.requests = 0

    def request_pass(self) -> None:
        self.requests += 1


def spec(entry: str = "a", shape: Shape = SMALL, queue: str = "q", **fields) -> JobSpec:
    """A JobSpec with a fixed runtime of 100 s and a 5 s container start."""
    values = dict(
        entry=entry, job_name=entry, job_definition="d", queue=queue, shape=shape, image="img",
        retry=RetryPolicy(), timeout_s=None, runtime=lambda: 100.0, start_time_s=5.0,
        image_pull_s=0.0, failure_probability=0.0, failure_exit_code=1, failure_after=None,
        uniform=lambda: 1.0, array_size=None,
    )  # fmt: skip
    values.update(fields)
    return JobSpec(**values)


def build(vcpus: tuple[int, ...] = (64,), policy: FairsharePolicy | None = None, backfill=True):
    """Return (lifecycle, queue, passes, ce) over one queue ``q`` on a fixed CE of ``vcpus``
    (a fair-share queue under ``policy`` if given); the hosts are ready, the clock at 0."""
    env = BatchEnv(1)
    ce, links = fixed_ce(env, vcpus)
    fair = FairShare(policy, [ce]) if policy is not None else None
    queue = JobQueue("q", 1, [ce], backfill, fair)
    passes = Passes()
    lifecycle = Lifecycle(env, [queue], passes, BlockedHeads(env))
    links.attach(Quiet(), lifecycle.runner)
    ready(env)
    return lifecycle, queue, passes, ce


_serials = itertools.count(1)


def new_job(lifecycle: Lifecycle, job_spec: JobSpec | None = None) -> Job:
    job = Job(next(_serials), "j", job_spec or spec(), lifecycle.calendar.now, work_s=100.0)
    lifecycle.submitted(job)
    return job


def queued(queue: JobQueue) -> int:
    return sum(len(line.jobs) for line in queue.lines.values())


# ------------------------------------------------------------------------------ transitions
ALL_MOVES = list(itertools.product(S, S))


@pytest.mark.parametrize(("origin", "target"), ALL_MOVES, ids=lambda s: s.value)
def test_every_move_is_legal_exactly_when_the_table_says_and_stamps_its_time(origin, target):
    job = Job(1, "j", spec(), 0.0, state=origin)
    if target in TRANSITIONS[origin]:
        job.move(target, 42.5)
        assert job.state is target
        assert getattr(job, STAMP[target]) == 42.5
    else:
        with pytest.raises(IllegalTransition, match=f"{origin.value} -> {target.value}"):
            job.move(target, 42.5)
        assert job.state is origin


def test_the_table_is_aws_batch_s_job_states():
    assert TRANSITIONS[S.SUBMITTED] == {S.PENDING, S.RUNNABLE, S.FAILED}
    assert TRANSITIONS[S.PENDING] == {S.RUNNABLE, S.SUCCEEDED, S.FAILED}
    assert TRANSITIONS[S.RUNNABLE] == {S.STARTING, S.FAILED}
    assert TRANSITIONS[S.STARTING] == {S.RUNNING, S.RUNNABLE, S.FAILED}
    assert TRANSITIONS[S.RUNNING] == {S.SUCCEEDED, S.RUNNABLE, S.FAILED}
    assert all(not TRANSITIONS[state] for state in TERMINAL)
    assert (
        STAMP[S.RUNNING] == "started_at" and STAMP[S.FAILED] == STAMP[S.SUCCEEDED] == "stopped_at"
    )


def test_illegal_transition_is_an_internal_error():
    assert issubclass(IllegalTransition, InternalError)


def test_the_lifecycle_checks_moves_against_the_same_table():
    assert sources(S.RUNNABLE) == {S.SUBMITTED, S.PENDING, S.STARTING, S.RUNNING}
    assert sources(S.STARTING) == {S.RUNNABLE}
    assert sources(S.RUNNING) == {S.STARTING}
    assert sources(S.SUCCEEDED) == {S.PENDING, S.RUNNING}


@pytest.mark.parametrize("origin", [S.SUCCEEDED, S.FAILED, S.RUNNABLE])
def test_lifecycle_refuses_to_make_runnable_from(origin):
    lifecycle, queue, passes, _ = build()
    job = Job(1, "j", spec(), 0.0, state=origin)
    with pytest.raises(IllegalTransition):
        lifecycle.make_runnable(job, 1.0)
    assert lifecycle.waiting == 0 and queued(queue) == 0 and passes.requests == 0


def test_lifecycle_refuses_run_and_finish_out_of_order():
    lifecycle, _, _, _ = build()
    job = new_job(lifecycle)
    with pytest.raises(IllegalTransition, match="SUBMITTED -> RUNNING"):
        lifecycle.run(job, 1.0)
    with pytest.raises(IllegalTransition, match="SUBMITTED -> SUCCEEDED"):
        lifecycle.finish(job, S.SUCCEEDED, 1.0)
    lifecycle.cancel(job, "CancelJob", 2.0)
    with pytest.raises(IllegalTransition, match="FAILED -> FAILED"):
        lifecycle.finish(job, S.FAILED, 3.0)


def test_lifecycle_stamps_each_state_of_an_attempt():
    lifecycle, queue, _, ce = build((2,))
    job = new_job(lifecycle)
    lifecycle.make_runnable(job, 1.0)
    lifecycle.calendar.now = 3.0
    lifecycle.start(job.spec.line, ce, ce.ready[0])
    lifecycle.run(job, 8.0)
    lifecycle.stop(job, Outcome.SUCCEEDED, 0, "done", 108.0)
    lifecycle.finish(job, S.SUCCEEDED, 108.0)
    stamps = (job.created_at, job.runnable_at, job.starting_at, job.started_at, job.stopped_at)
    assert stamps == (0.0, 1.0, 3.0, 8.0, 108.0)
    assert (job.attempts, job.exit_code, job.status_reason, job.instance) == (1, 0, "done", None)
    (row,) = lifecycle.env.recorder.attempts.rows
    assert row[:5] == (job.index, 1, "ce", "i-00000000000000001", "host.2")
    assert row[8:15] == (1.0, 3.0, 8.0, 108.0, Outcome.SUCCEEDED, 0, "done")


# ------------------------------------------------------------------------------ queue order
def test_queue_is_fifo_and_retries_go_to_the_front():
    lifecycle, queue, _, _ = build()
    a, b, c = (new_job(lifecycle) for _ in range(3))
    for job in (a, b, c):
        lifecycle.make_runnable(job, 0.0)
    assert list(a.spec.line.jobs) == [a, b, c]
    assert (a.seq, b.seq, c.seq) == (1, 2, 3)
    retry_1, retry_2 = new_job(lifecycle), new_job(lifecycle)
    lifecycle.make_runnable(retry_1, 0.0, front=True)
    lifecycle.make_runnable(retry_2, 0.0, front=True)
    assert list(a.spec.line.jobs) == [retry_2, retry_1, a, b, c]
    assert (retry_1.seq, retry_2.seq) == (-1, -2)
    assert queue.head() is retry_2


def test_lines_by_shape_are_walked_by_their_first_job():
    lifecycle, queue, _, _ = build()
    small, big = spec("s", SMALL), spec("b", BIG)
    jobs = [new_job(lifecycle, s) for s in (big, small, big, small)]
    for job in jobs:
        lifecycle.make_runnable(job, 0.0)
    assert [list(line.jobs) for line in queue.placeable_lines()] == [jobs[0::2], jobs[1::2]]
    retried = new_job(lifecycle, small)
    lifecycle.make_runnable(retried, 0.0, front=True)
    assert [line.shape for line in queue.placeable_lines()] == [SMALL, BIG]
    assert queue.head() is retried


def scheduled(vcpus: tuple[int, ...], policy: FairsharePolicy | None = None, backfill=True):
    """Return (scheduler, queue, ce) of one queue ``q`` on a fixed CE of ``vcpus``, the real
    scheduler attached to the CE's links (a fair-share queue under ``policy`` if given)."""
    env = BatchEnv(1)
    ce, links = fixed_ce(env, vcpus)
    fair = FairShare(policy, [ce]) if policy is not None else None
    queue = JobQueue("q", 1, [ce], backfill, fair)
    scheduler = Scheduler(env, [queue], [ce], BlockedHeads(env))
    links.attach(scheduler, scheduler.lifecycle.runner)
    ready(env)
    return scheduler, queue, ce


def _placed(vcpus: tuple[int, ...], backfill: bool, busy: bool = False) -> list[int]:
    """Queue jobs 0–3 of 4, 1, 1 and 4 vCPUs on fixed hosts of ``vcpus``; return those one
    pass places, in the order it places them. ``busy``: a 4-vCPU job already fills the last
    host, so a 4-vCPU job could run there later, not now."""
    scheduler, queue, ce = scheduled(vcpus, backfill=backfill)
    lifecycle = scheduler.lifecycle
    big, small = spec("big", BIG), spec("small", SMALL)
    if busy:
        filler = new_job(lifecycle, big)
        lifecycle.make_runnable(filler, 0.0)
        lifecycle.start(big.line, ce, ce.ready[-1])
    jobs = [new_job(lifecycle, s) for s in (big, small, small, big)]
    for job in jobs:
        lifecycle.make_runnable(job, 0.0)
    placed: list[int] = []

    def start(line, ce, instance, other_nodes=()):
        placed.append(jobs.index(line.jobs[0]))
        lifecycle.start(line, ce, instance, other_nodes)

    scheduler._start = start  # NOTE: an attribute (not a method), which a compiled class allows
    scheduler.run_pass()
    assert lifecycle.waiting == queued(queue) == 4 - len(placed)
    return placed


def test_backfill_lets_smaller_jobs_take_room_the_head_cannot_use():
    # A free 3-vCPU host and a busy 4-vCPU one: the 4-vCPU head cannot fit now, both 1-vCPU
    # jobs behind it can.
    assert _placed((3, 4), backfill=True, busy=True) == [1, 2]


def test_without_backfill_a_head_that_does_not_fit_stops_the_queue():
    assert _placed((3, 4), backfill=False, busy=True) == []


def test_queue_order_across_shapes_when_everything_fits():
    assert _placed((10,), backfill=True) == [0, 1, 2, 3]


def test_fair_share_places_the_lowest_usage_share_first():
    policy = FairsharePolicy.model_validate(
        {"shareDistribution": [{"shareIdentifier": "blue", "weightFactor": 1.0}]}
    )
    scheduler, queue, _ = scheduled((1, 1, 1, 1), policy)
    lifecycle, fair = scheduler.lifecycle, queue.fair
    red, blue = (spec(s, share=s, fair=fair) for s in ("red", "blue"))
    urgent = spec("urgent", share="red", fair=fair, scheduling_priority=9)
    # Three red jobs arrive first, then two blue ones and one red with a higher priority.
    order = [red, red, red, blue, blue, urgent]
    jobs = [new_job(lifecycle, s) for s in order]
    for job in jobs:
        lifecycle.make_runnable(job, 0.0)
    scheduler.run_pass()
    started = sorted(
        (j for j in jobs if j.state is S.STARTING), key=lambda j: j.instance.instance_id
    )
    # Lines are picked by (usage, -priority, first job's position); usage = weight 1 x (vCPUs
    # running + average, still 0 at t=0). All at 0: red's priority-9 line (urgent). Red 1,
    # blue 0: blue. Both 1: red's first line (position 1 before blue's 5). Red 2, blue 1: blue.
    assert [j.spec.entry for j in started] == ["urgent", "blue", "red", "blue"]
    assert lifecycle.waiting == queued(queue) == 2  # two red jobs, no instance left


# ------------------------------------------------------------------------------ retry matching
ENDED = "Essential container in task exited"
HOST_GONE = "Host EC2 (instance i-00000000000000001) terminated."


def test_glob_patterns_match_exactly_or_by_trailing_star():
    assert glob_match("Host EC2*", HOST_GONE)
    assert not glob_match("Host EC2", HOST_GONE)
    assert glob_match("*", "") and glob_match("137", "137") and not glob_match("13*", "4137")


def test_first_matching_rule_decides_and_no_match_retries():
    policy = RetryPolicy(
        3, (ExitRule(False, on_exit_code="137"), ExitRule(True, on_status_reason="Host EC2*"))
    )
    assert policy.should_retry(1, HOST_GONE, "", None)  # second rule: RETRY
    assert not policy.should_retry(1, HOST_GONE, "", 137)  # both match: the first, EXIT, wins
    assert not policy.should_retry(1, ENDED, "", 137)
    assert policy.should_retry(2, ENDED, "", 1)  # no rule matches: retried while attempts remain
    assert not policy.should_retry(3, ENDED, "", 1)  # attempts used up, whatever the rules


def test_every_given_condition_of_a_rule_must_match():
    rule = ExitRule(False, on_status_reason="Essential*", on_exit_code="1*")
    assert rule.matches(ENDED, "", 12)
    assert not rule.matches(ENDED, "", 2)
    assert not rule.matches(ENDED, "", None)  # no exit code: "" does not match "1*"
    assert ExitRule(False, on_exit_code="*").matches(HOST_GONE, "", None)


def test_one_attempt_is_never_retried():
    assert not RetryPolicy().should_retry(1, ENDED, "", 1)


# ------------------------------------------------------------------------------ checkpoints
CHECKPOINT = CheckpointSpec(interval_s=100.0, cost_s=10.0, restart_s=30.0, on_notice=False)


@pytest.mark.parametrize(
    ("elapsed_s", "expected"),
    [
        (0.0, (0.0, 0.0)),
        (50.0, (50.0, 0.0)),  # inside the first interval: nothing saved yet
        (105.0, (100.0, 0.0)),  # writing the first checkpoint: work stopped, not saved yet
        (110.0, (100.0, 100.0)),  # first write complete
        (230.0, (210.0, 200.0)),  # two cycles of 110 s, then 10 s of the last piece
        (270.0, (250.0, 200.0)),  # the end: 250 s of work + 2 writes, none after the last piece
        (400.0, (250.0, 200.0)),
    ],
)
def test_checkpoint_progress_of_250_s_of_work(elapsed_s, expected):
    assert CHECKPOINT.progress(elapsed_s, 250.0) == expected


def test_checkpoint_pieces():
    assert CHECKPOINT.pieces(250.0) == 3
    assert CHECKPOINT.pieces(200.0) == 2  # an exact multiple: no empty last piece
    assert CHECKPOINT.pieces(0.0) == 1


# ------------------------------------------------------------------------------ side effects
def run_to_end(
    lifecycle: Lifecycle, job: Job, ce: ComputeEnvironment, end_at: float, state=S.SUCCEEDED
):
    """Place the RUNNABLE ``job`` now, run it and end it at ``end_at`` in ``state``."""
    lifecycle.start(job.spec.line, ce, ce.ready[0])
    lifecycle.run(job, lifecycle.calendar.now)
    lifecycle.stop(job, Outcome.SUCCEEDED, 0, ENDED, end_at)
    lifecycle.finish(job, state, end_at)


def test_a_job_that_succeeds_releases_its_dependants():
    lifecycle, queue, passes, ce = build((4,))
    dependencies = Dependencies(lifecycle, {"a"})
    a = new_job(lifecycle, spec("a"))
    dependencies.submitted("a", a)
    lifecycle.make_runnable(a, 0.0)
    b = new_job(lifecycle, spec("b"))
    lifecycle.hold(b, 0.0)
    dependencies.wait(b, [a], 0.0)
    assert (b.state, lifecycle.waiting, queued(queue)) == (S.PENDING, 1, 1)
    run_to_end(lifecycle, a, ce, 50.0)
    assert (b.state, b.runnable_at, b.status_reason) == (S.RUNNABLE, 50.0, None)
    assert lifecycle.waiting == queued(queue) == 1 and list(b.spec.line.jobs) == [b]
    assert passes.requests == 2  # one per job made RUNNABLE


def test_a_job_that_fails_fails_its_dependants_down_the_graph():
    lifecycle, queue, _, _ = build()
    dependencies = Dependencies(lifecycle, {"a", "b"})
    a, b, c = (new_job(lifecycle, spec(name)) for name in "abc")
    lifecycle.make_runnable(a, 0.0)
    for waiter, on in ((b, a), (c, b)):
        lifecycle.hold(waiter, 0.0)
        dependencies.wait(waiter, [on], 0.0)
    lifecycle.calendar.now = 7.0
    lifecycle.cancel(a, "CancelJob", 7.0)
    assert [(j.state, j.status_reason, j.stopped_at) for j in (a, b, c)] == [
        (S.FAILED, "CancelJob", 7.0),
        (S.FAILED, DEPENDENT_JOB_FAILED, 7.0),
        (S.FAILED, DEPENDENT_JOB_FAILED, 7.0),
    ]
    assert lifecycle.waiting == queued(queue) == 0


def test_a_job_waiting_on_one_already_failed_fails_at_once():
    lifecycle, _, _, _ = build()
    dependencies = Dependencies(lifecycle, {"a"})
    a, b = new_job(lifecycle, spec("a")), new_job(lifecycle, spec("b"))
    lifecycle.cancel(a, "CancelJob", 1.0)
    lifecycle.hold(b, 2.0)
    dependencies.wait(b, [a], 2.0)
    assert (b.state, b.status_reason, b.stopped_at) == (S.FAILED, DEPENDENT_JOB_FAILED, 2.0)


def test_an_array_parent_rolls_up_once_every_child_ended_and_listeners_hear_of_it():
    lifecycle, _, _, ce = build((4,))
    heard: list[tuple[str, JobState, float]] = []
    lifecycle.on_job_ended(lambda job, state, now: heard.append((job.job_id, state, now)))
    parent = new_job(lifecycle, spec("arr", array_size=2))
    parent.size = parent.children_left = 2
    lifecycle.hold(parent, 0.0)
    children = []
    for index in range(2):
        child = Job(parent.serial, "arr", parent.spec, 0.0, state=S.PENDING, work_s=100.0)
        child.parent, child.array_index = parent, index
        lifecycle.spawned(child)
        lifecycle.make_runnable(child, 0.0)
        children.append(child)
    run_to_end(lifecycle, children[0], ce, 10.0)
    assert parent.state is S.PENDING
    run_to_end(lifecycle, children[1], ce, 20.0, state=S.FAILED)
    assert (parent.state, parent.stopped_at, parent.children_failed) == (S.FAILED, 20.0, 1)
    job_id = parent.job_id
    assert heard == [
        (f"{job_id}:0", S.SUCCEEDED, 10.0),
        (f"{job_id}:1", S.FAILED, 20.0),
        (job_id, S.FAILED, 20.0),
    ]
    assert [j.index for j in lifecycle.env.recorder.jobs] == [0, 1, 2]


def test_a_retry_goes_back_to_the_front_and_asks_for_a_pass():
    lifecycle, queue, passes, ce = build((1,))
    first, second = new_job(lifecycle), new_job(lifecycle)
    lifecycle.make_runnable(first, 0.0)
    lifecycle.make_runnable(second, 0.0)
    lifecycle.start(first.spec.line, ce, ce.ready[0])
    lifecycle.stop(first, Outcome.SPOT_INTERRUPTED, None, HOST_GONE, 3.0)
    requests = passes.requests
    lifecycle.make_runnable(first, 3.0, front=True)
    assert list(first.spec.line.jobs) == [first, second]
    assert (first.state, first.runnable_at, first.attempts) == (S.RUNNABLE, 3.0, 1)
    assert lifecycle.waiting == queued(queue) == 2 and passes.requests == requests + 1


def test_fair_share_counts_follow_the_lifecycle():
    policy = FairsharePolicy.model_validate({"shareDistribution": []})
    lifecycle, queue, _, ce = build((4,), policy)
    fair = queue.fair
    assert fair is not None
    job = new_job(lifecycle, spec(share="red", fair=fair, shape=Shape(2, 512.0)))
    assert (fair.active, fair.shares["red"].jobs) == (1, 1)
    lifecycle.make_runnable(job, 0.0)
    lifecycle.start(job.spec.line, ce, ce.ready[0])
    assert fair.running == fair.shares["red"].running == 2.0
    lifecycle.run(job, 0.0)
    lifecycle.stop(job, Outcome.SUCCEEDED, 0, ENDED, 10.0)
    assert fair.running == 0.0
    lifecycle.finish(job, S.SUCCEEDED, 10.0)
    assert (fair.active, fair.shares["red"].jobs) == (0, 0)


@pytest.mark.parametrize("seed", range(5))
def test_waiting_count_stays_equal_to_the_jobs_in_queues(seed):
    rng = random.Random(seed)
    lifecycle, queue, _, ce = build((1000,))
    specs = [spec("s", SMALL), spec("b", BIG)]
    jobs: list[Job] = []
    for step in range(300):
        lifecycle.calendar.now = float(step)
        runnable = [j for j in jobs if j.state is S.RUNNABLE]
        placed = [j for j in jobs if j.state in (S.STARTING, S.RUNNING)]
        action = rng.randrange(5)
        if action == 0 or not jobs:
            jobs.append(new_job(lifecycle, rng.choice(specs)))
            lifecycle.make_runnable(jobs[-1], step)
        elif action == 1 and runnable:
            line = rng.choice(runnable).spec.line
            lifecycle.start(line, ce, ce.ready[0])
        elif action == 2 and runnable:
            lifecycle.cancel(rng.choice(runnable), "CancelJob", step)
        elif action == 3 and placed:
            job = rng.choice(placed)
            lifecycle.stop(job, Outcome.FAILED, 1, ENDED, step)
            lifecycle.make_runnable(job, step, front=True)
        elif action == 4 and placed:
            job = rng.choice(placed)
            lifecycle.stop(job, Outcome.FAILED, 1, ENDED, step)
            lifecycle.finish(job, S.FAILED, step)
        assert lifecycle.waiting == queued(queue) == sum(j.state is S.RUNNABLE for j in jobs)
