"""The baseline: queues written by hand in SimPy, the way most people would write them.

One process per job, a ``simpy.Resource`` with ``c`` slots, exponential inter-arrival and service
times from the standard library's ``random``, and per-job arrival / start / end times kept in
lists. No tricks: this is the yardstick batchsim is measured against (DESIGN.md §2). ``run_mmc``
is the twin of the Poisson shapes (a), (b) and (d); ``run_backlog`` of the backlog shape (c).
"""

from __future__ import annotations

import random

import simpy


def run_mmc(n: int, c: int, rate: float, mean_service: float, seed: int):
    """Simulate ``n`` jobs of an M/M/c queue; return (arrival, start, end) lists, one per job."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    arrival = [0.0] * n
    start = [0.0] * n
    end = [0.0] * n

    def job(i):
        arrival[i] = env.now
        with servers.request() as request:
            yield request
            start[i] = env.now
            yield env.timeout(rng.expovariate(1.0 / mean_service))
        end[i] = env.now

    def source():
        for i in range(n):
            yield env.timeout(rng.expovariate(rate))
            env.process(job(i))

    env.process(source())
    env.run()
    return arrival, start, end


def run_backlog(n: int, c: int, mean_service: float, seed: int):
    """Simulate ``n`` jobs all submitted at t=0 to ``c`` slots; return (arrival, start, end)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    arrival = [0.0] * n
    start = [0.0] * n
    end = [0.0] * n

    def job(i):
        with servers.request() as request:
            yield request
            start[i] = env.now
            yield env.timeout(rng.expovariate(1.0 / mean_service))
        end[i] = env.now

    for i in range(n):
        env.process(job(i))
    env.run()
    return arrival, start, end
