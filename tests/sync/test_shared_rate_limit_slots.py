"""The shared rate limit's slots, as two processes would take them (two limiter objects on
the same row): bursts, spacing, and a 429's Retry-After respected by everyone."""

from __future__ import annotations

import itertools

from integrations.notion.ratelimit import SharedRateLimit


def limiter(waits: list[float], **kwargs) -> SharedRateLimit:
    return SharedRateLimit(key="notion:test", sleep=waits.append, **kwargs)


def test_a_burst_then_spacing_across_processes(transactional_db):
    waits: list[float] = []
    first, second = limiter(waits, max_rps=2.5, burst=2), limiter(waits, max_rps=2.5, burst=2)

    delays = [(first if n % 2 else second).wait() for n in range(6)]

    assert delays[:2] == [0.0, 0.0]  # the burst
    spacing = [b - a for a, b in itertools.pairwise(delays[1:])]
    assert all(0.3 < gap < 0.5 for gap in spacing), delays  # 1 / 2.5 s apart


def test_after_a_429_nobody_goes_before_retry_after(transactional_db):
    waits: list[float] = []
    told, other = limiter(waits, max_rps=2.5, burst=2), limiter(waits, max_rps=2.5, burst=2)
    told.wait()

    told.hold(2.0)  # Notion said Retry-After: 2
    delay = other.wait()

    assert delay > 1.8, delay  # not the burst tolerance earlier
