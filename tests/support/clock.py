"""A clock tests move forward by hand, in place of a module's `time` (no sleep racing a limit)."""
from __future__ import annotations

import time


class ShiftedClock:
    """time.monotonic()/time.time() plus an offset that advance() grows: "later" without waiting."""

    def __init__(self):
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def time(self) -> float:
        return time.time() + self.offset


def shift_clock(monkeypatch, module) -> ShiftedClock:
    """Replace module's `time` by a ShiftedClock for this test; return it."""
    clock = ShiftedClock()
    monkeypatch.setattr(module, "time", clock)
    return clock
