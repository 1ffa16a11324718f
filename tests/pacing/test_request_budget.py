"""The process-wide request budget (scmap.pacing) on a fake clock: rate, jitter, 429 pauses."""

from __future__ import annotations

import asyncio
import random

import pytest

from scmap.pacing import RequestBudget, retry_after_seconds


class FakeClock:
    """A clock that only moves when someone sleeps (sleeps run in wake-up order)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)  # let others reserve first, as real concurrent tasks do
        self.now = max(self.now, target)


def _run(coroutine):
    return asyncio.run(coroutine)


def test_rate_spaces_requests_evenly_without_jitter():
    clock = FakeClock()
    budget = RequestBudget(rate=4, jitter=0, clock=clock, sleep=clock.sleep)

    async def take(n):
        times = []
        for _ in range(n):
            await budget.acquire()
            times.append(clock.now)
        return times

    times = _run(take(5))
    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert budget.stats.requests == 5 and budget.stats.waits == 4


def test_jitter_keeps_gaps_within_bounds_and_varies_them():
    clock = FakeClock()
    budget = RequestBudget(rate=2, jitter=0.5, clock=clock, sleep=clock.sleep, rng=random.Random(3))

    async def take(n):
        times = []
        for _ in range(n):
            await budget.acquire()
            times.append(clock.now)
        return times

    times = _run(take(40))
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(0.25 - 1e-9 <= gap <= 0.75 + 1e-9 for gap in gaps)
    assert len({round(gap, 6) for gap in gaps}) > 10  # really jittered
    assert sum(gaps) / len(gaps) == pytest.approx(0.5, rel=0.15)


def test_off_budget_never_waits():
    clock = FakeClock()
    budget = RequestBudget(rate=0, clock=clock, sleep=clock.sleep)

    async def take():
        return [await budget.acquire() for _ in range(100)]

    assert _run(take()) == [0.0] * 100
    assert clock.now == 0 and budget.describe() == "off"


def test_pause_holds_every_waiter_and_later_requests():
    clock = FakeClock()
    budget = RequestBudget(rate=0, clock=clock, sleep=clock.sleep)
    budget.pause(30, "429")

    async def many():
        async def one():
            await budget.acquire()
            return clock.now
        return await asyncio.gather(*(one() for _ in range(5)))

    assert all(t >= 30 for t in _run(many()))
    assert budget.stats.pauses == 1 and budget.stats.waits == 5


def test_pause_arriving_while_waiting_for_a_slot_is_honoured():
    clock = FakeClock()
    budget = RequestBudget(rate=1, jitter=0, clock=clock, sleep=clock.sleep)

    async def scenario():
        await budget.acquire()  # t=0, next slot at 1
        waiter = asyncio.ensure_future(budget.acquire())
        await asyncio.sleep(0)  # the waiter reserved slot 1 and sleeps
        budget.pause(10)  # a 429 elsewhere
        await waiter
        return clock.now

    assert _run(scenario()) >= 10


def test_pause_extends_but_never_shortens():
    clock = FakeClock()
    budget = RequestBudget(rate=0, clock=clock, sleep=clock.sleep)
    budget.pause(20)
    budget.pause(5)
    assert budget.paused_for == 20 and budget.stats.pauses == 1
    budget.pause(40)
    assert budget.paused_for == 40 and budget.stats.pauses == 2


def test_bad_budget_is_refused():
    with pytest.raises(ValueError):
        RequestBudget(rate=-1)
    with pytest.raises(ValueError):
        RequestBudget(rate=1, jitter=1.5)


def test_retry_after_header():
    assert retry_after_seconds("7", 0, 120) == 7
    assert retry_after_seconds("9999", 0, 120) == 120
    assert retry_after_seconds(None, 3, 120) == 8
    assert retry_after_seconds("soon", 0, 120) == 1
