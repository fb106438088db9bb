#!/usr/bin/env python3
"""An independent SimPy model of the speed issue's fleet (issue 15).

The system of scenarios/fleet-scaling.yaml, written from its description and
not from the simulator's code paths: actors on one-slot workers of one pool
on one node; a resume takes `resume_ms` (the first one of an actor boots it
from the template's golden snapshot, every later one reads the copy its own
node kept when it was suspended); an actor idle for `ttl_ms` is suspended (a
checkpoint of `checkpoint_ms`, then its worker is free); an actor with work
and no free worker parks (FIFO, up to `park_timeout_ms`) and one least
recently used idle resident is checkpointed to make room for it (one such
eviction per waiter at a time); a freed worker goes to the longest parked
actor. Invocations of one actor run one at a time in arrival order.

It reads the same traffic the simulator replays (a binary trace written by
sim/peer/peer.ts: n float64 arrival times, n int32 actor indexes, n float64
work times, all in ms, little-endian), so the two models can be compared
invocation for invocation, and prints one JSON object: counts by path,
latency percentiles (nearest rank, as summary.csv) and the wall time of the
simulation alone (the trace is read before the clock starts).

    python3 fleet_simpy.py TRACE --actors N --workers W [--resume-ms 300]
        [--checkpoint-ms 100] [--ttl-ms 60000] [--park-timeout-ms 5000]
        [--max-parked 2048]
"""

import argparse
import json
import math
import sys
import time
from array import array
from collections import deque

import simpy

SUSPENDED, RESUMING, RUNNING, SUSPENDING = 0, 1, 2, 3
WARM, FIRST, LATER = 0, 1, 2  # paths: warm, first resume (golden), later resume (the node's copy)


def read_trace(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = len(data) // 20
    arrival = array('d')
    arrival.frombytes(data[: 8 * n])
    actor = array('i')
    actor.frombytes(data[8 * n: 12 * n])
    work = array('d')
    work.frombytes(data[12 * n: 20 * n])
    if sys.byteorder != 'little':
        arrival.byteswap()
        actor.byteswap()
        work.byteswap()
    return arrival, actor, work


class Fleet:
    def __init__(self, env, args, arrival, actor, work):
        self.env = env
        self.args = args
        self.arrival, self.actor, self.work = arrival, actor, work
        n_actors = args.actors
        self.free = args.workers  # empty one-slot workers
        self.state = [SUSPENDED] * n_actors
        self.fifo = [deque() for _ in range(n_actors)]
        self.busy = [False] * n_actors
        self.last_used = [0.0] * n_actors
        self.stamp = [0] * n_actors  # idle timers carry it; a stale one is ignored
        self.booted = [False] * n_actors
        self.parked_flag = [False] * n_actors
        self.evicting_for = [None] * n_actors
        self.evictions_pending = [0] * n_actors
        self.park_queue = deque()
        self.resident = set()  # actors holding a worker
        n = len(arrival)
        self.path = array('b', bytes(n))
        self.parked = array('b', bytes(n))
        self.park_epoch = array('i', bytes(4 * n))
        self.n_parked = 0
        self.end = array('d', bytes(8 * n))
        self.exec_ms = array('d', bytes(8 * n))
        self.outcome = array('b', bytes(n))  # 0 pending, 1 served, 2 rejected
        self.evictions = 0
        self.events = 0

    # ---- processes -------------------------------------------------------

    def source(self):
        env = self.env
        arrival = self.arrival
        for i in range(len(arrival)):
            delay = arrival[i] - env.now
            if delay > 0:
                yield env.timeout(delay)
            self.on_arrival(i)

    def resume(self, a):
        yield self.env.timeout(self.args.resume_ms)
        self.on_resumed(a)

    def execute(self, a, i):
        yield self.env.timeout(self.work[i])
        self.on_executed(a, i)

    def checkpoint(self, a):
        yield self.env.timeout(self.args.checkpoint_ms)
        self.on_checkpointed(a)

    def idle_timer(self, a, stamp):
        yield self.env.timeout(self.args.ttl_ms)
        if self.stamp[a] == stamp and self.idle_resident(a):
            self.suspend(a)

    def park_timer(self, i, epoch):
        yield self.env.timeout(self.args.park_timeout_ms)
        if self.parked[i] and self.park_epoch[i] == epoch:
            a = self.actor[i]
            self.fifo[a].remove(i)
            self.parked[i] = 0
            self.n_parked -= 1
            self.outcome[i] = 2
            self.end[i] = self.env.now
            if not self.fifo[a]:
                self.parked_flag[a] = False

    # ---- handlers ----------------------------------------------------------

    def idle_resident(self, a):
        return self.state[a] == RUNNING and not self.busy[a] and not self.fifo[a]

    def on_arrival(self, i):
        self.events += 1
        a = self.actor[i]
        self.stamp[a] += 1
        self.fifo[a].append(i)
        s = self.state[a]
        if s == RUNNING:
            if not self.busy[a]:
                self.run_next(a)
        elif s == RESUMING:
            self.path[i] = LATER if self.booted[a] else FIRST
        elif s == SUSPENDED:
            if self.parked_flag[a]:
                self.admit(i)
            else:
                self.need_worker(a)
        # SUSPENDING: resumes when its checkpoint lands

    def need_worker(self, a):
        if self.free > 0:
            self.place(a)
            return
        for i in self.fifo[a]:
            if not self.parked[i]:
                self.admit(i)
        if self.fifo[a] and not self.parked_flag[a]:
            self.parked_flag[a] = True
            self.park_queue.append(a)
        if self.parked_flag[a]:
            self.evict_for(a)

    def admit(self, i):
        if self.n_parked >= self.args.max_parked:
            a = self.actor[i]
            self.fifo[a].remove(i)
            self.outcome[i] = 2
            self.end[i] = self.env.now
            return
        self.parked[i] = 1
        self.park_epoch[i] += 1
        self.n_parked += 1
        self.env.process(self.park_timer(i, self.park_epoch[i]))

    def place(self, a):
        self.parked_flag[a] = False
        for i in self.fifo[a]:
            if self.parked[i]:
                self.parked[i] = 0
                self.n_parked -= 1
        self.free -= 1
        self.resident.add(a)
        self.state[a] = RESUMING
        path = LATER if self.booted[a] else FIRST
        for i in self.fifo[a]:
            self.path[i] = path
        self.env.process(self.resume(a))

    def on_resumed(self, a):
        self.events += 1
        self.booted[a] = True
        self.state[a] = RUNNING
        self.last_used[a] = self.env.now
        if self.fifo[a]:
            self.run_next(a)
        else:
            self.went_idle(a)

    def run_next(self, a):
        i = self.fifo[a].popleft()
        self.busy[a] = True
        self.stamp[a] += 1
        self.exec_ms[i] = self.env.now
        self.env.process(self.execute(a, i))

    def on_executed(self, a, i):
        self.events += 1
        now = self.env.now
        self.busy[a] = False
        self.last_used[a] = now
        self.exec_ms[i] = now - self.exec_ms[i]
        self.end[i] = now
        self.outcome[i] = 1
        if self.fifo[a]:
            self.run_next(a)
        else:
            self.went_idle(a)

    def went_idle(self, a):
        # An actor that just went idle may be what a parked actor needs evicted.
        if self.park_queue:
            self.evict_for_waiters()
        if not self.idle_resident(a):
            return
        self.stamp[a] += 1
        self.env.process(self.idle_timer(a, self.stamp[a]))

    def suspend(self, a):
        self.state[a] = SUSPENDING
        self.stamp[a] += 1
        self.env.process(self.checkpoint(a))

    def on_checkpointed(self, a):
        self.events += 1
        waiter = self.evicting_for[a]
        if waiter is not None:
            self.evicting_for[a] = None
            self.evictions_pending[waiter] -= 1
        self.free += 1
        self.resident.discard(a)
        self.state[a] = SUSPENDED
        if self.fifo[a]:
            self.need_worker(a)
        self.dispatch_parked()

    def dispatch_parked(self):
        if not self.park_queue:
            return
        queue = self.park_queue
        self.park_queue = deque()
        seen = set()
        for a in queue:
            if not self.parked_flag[a] or a in seen:
                continue
            seen.add(a)
            if self.free > 0:
                self.place(a)
            else:
                self.park_queue.append(a)
        self.evict_for_waiters()

    def lru_victim(self):
        best = None
        best_ms = math.inf
        for a in self.resident_candidates():
            if self.last_used[a] < best_ms:
                best, best_ms = a, self.last_used[a]
        return best

    def resident_candidates(self):
        # No index of idle residents: a scan of the workers' actors, as a first model would.
        return (a for a in self.resident if self.idle_resident(a))

    def evict_for(self, waiter):
        """Checkpoints the least recently used idle resident for `waiter`; False when there is none."""
        if self.evictions_pending[waiter] > 0:
            return True
        if self.free > 0:
            return True
        v = self.lru_victim()
        if v is None:
            return False
        self.evicting_for[v] = waiter
        self.evictions_pending[waiter] += 1
        self.evictions += 1
        self.suspend(v)
        return True

    def evict_for_waiters(self):
        for a in list(self.park_queue):
            if self.parked_flag[a] and not self.evict_for(a):
                return


def nearest_rank(sorted_values, q):
    n = len(sorted_values)
    if n == 0:
        return None
    rank = min(n, max(1, math.ceil(q * n)))
    return sorted_values[rank - 1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('trace')
    p.add_argument('--actors', type=int, required=True)
    p.add_argument('--workers', type=int, required=True)
    p.add_argument('--resume-ms', type=float, default=300.0)
    p.add_argument('--checkpoint-ms', type=float, default=100.0)
    p.add_argument('--ttl-ms', type=float, default=60_000.0)
    p.add_argument('--park-timeout-ms', type=float, default=5_000.0)
    p.add_argument('--max-parked', type=int, default=2048)
    p.add_argument('--runs', type=int, default=1,
                   help='run the model this many times, each from a fresh environment, and report the median wall (the outcomes are the same every time)')
    args = p.parse_args()
    if args.runs < 1:
        p.error('--runs must be at least 1')
    arrival, actor, work = read_trace(args.trace)

    walls = []
    for _ in range(args.runs):
        env = simpy.Environment()
        fleet = Fleet(env, args, arrival, actor, work)
        env.process(fleet.source())
        t0 = time.perf_counter()
        env.run()
        walls.append(time.perf_counter() - t0)
    wall_s = sorted(walls)[(len(walls) + 1) // 2 - 1]

    n = len(arrival)
    served = [i for i in range(n) if fleet.outcome[i] == 1]
    latencies = sorted(fleet.end[i] - arrival[i] for i in served)
    overheads = sorted(fleet.end[i] - arrival[i] - fleet.exec_ms[i] for i in served)
    paths = [0, 0, 0]
    for i in served:
        paths[fleet.path[i]] += 1
    json.dump(
        {
            'simpy': simpy.__version__,
            'python': sys.version.split()[0],
            'invocations': n,
            'served': len(served),
            'rejected': sum(1 for i in range(n) if fleet.outcome[i] == 2),
            'warm': paths[WARM],
            'firstResume': paths[FIRST],
            'laterResume': paths[LATER],
            'evictions': fleet.evictions,
            'p50Ms': nearest_rank(latencies, 0.5),
            'p99Ms': nearest_rank(latencies, 0.99),
            'overheadP99Ms': nearest_rank(overheads, 0.99),
            'endMs': env.now,
            'wallMs': wall_s * 1000,
            'runs': args.runs,
        },
        sys.stdout,
    )
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
