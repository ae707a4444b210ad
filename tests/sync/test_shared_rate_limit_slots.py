"""The shared rate limit's slots, as two processes would take them (two limiter objects on
the same row): bursts, spacing, and a 429's Retry-After respected by everyone. The slots
are the database's decisions, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import itertools

from integrations.notion.ratelimit import SharedRateLimit


def limiter(**kwargs) -> SharedRateLimit:
    return SharedRateLimit(key="notion:test", sleep=lambda seconds: None, **kwargs)


def test_a_burst_then_spacing_across_processes(transactional_db):
    # 0.5 requests/s: a slot every 2 s, far longer than taking six slots takes.
    first, second = limiter(max_rps=0.5, burst=2), limiter(max_rps=0.5, burst=2)

    slots = [(first if n % 2 else second).reserve()[0] for n in range(6)]

    assert abs(slots[1] - slots[0]) < 0.5  # the burst: two at once
    gaps = [b - a for a, b in itertools.pairwise(slots[1:])]
    assert all(abs(gap - 2.0) < 0.01 for gap in gaps), gaps  # then one every 2 s


def test_after_a_429_nobody_goes_before_retry_after(transactional_db):
    told, other = limiter(max_rps=2.5, burst=2), limiter(max_rps=2.5, burst=2)
    told.wait()

    told.hold(10.0)  # Notion said Retry-After: 10
    slot, now = other.reserve()

    assert slot - now > 9.0, slot - now  # not the burst tolerance (0.4 s) earlier
