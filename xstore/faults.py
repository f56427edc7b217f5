"""Fault injection for the reliability tests: SIGKILL this process at a named point, on request.

Set XSTORE_KILL_AT="point:n" and the n-th time the process passes `point` it kills itself with
SIGKILL, as a crash, an OOM kill or a pulled plug would. Unset, `reached` is one dict lookup.
"""

from __future__ import annotations

import os
import signal

_passes: dict[str, int] = {}


def reached(point: str) -> None:
    """Mark that execution reached `point` (e.g. "commit", "stored", "migration", "runner:train_target")."""
    wanted = os.environ.get("XSTORE_KILL_AT")
    if not wanted:
        return
    name, _, count = wanted.rpartition(":")
    if name != point:
        return
    _passes[point] = _passes.get(point, 0) + 1
    if _passes[point] == int(count):
        os.kill(os.getpid(), signal.SIGKILL)
