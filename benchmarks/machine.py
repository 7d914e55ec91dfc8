"""How fast this machine is running now: the same machine type ran the same
benchmark twice as slowly on one day as on another, so each result says it."""

from __future__ import annotations

import time


def python_speed() -> float:
    """Seconds for 10 million additions in a pure-Python loop (the best of three):
    1.27 s on the machine of the 2026-11-30 (fourth session) results."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return best


def line() -> str:
    return f"machine speed: 10 million additions in pure Python took {python_speed():.2f} s"
