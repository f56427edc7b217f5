"""Content keys: a cell's key is a hash of everything that determines its result, versions included."""

from __future__ import annotations

import hashlib
import json
from typing import Any


# One encoder, built once: key derivation runs for every declared cell of a grid.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, so equal values always give equal text."""
    return _ENCODER.encode(value)


def content_key(*parts: Any, length: int = 20) -> str:
    """A short hex digest of `parts` (80 bits: collisions are out of reach for any real grid)."""
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()[:length]
