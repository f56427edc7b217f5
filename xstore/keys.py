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


class KeyPrefix:
    """Keys for many cells that share most of their parameters: the shared part is hashed once.

    `KeyPrefix(*shared).key(*fields)` digests the canonical JSON of `shared`, then each field in
    order, separated by the ASCII unit separator. Fields are catalogue names, split and language codes,
    integers and hex keys, none of which can contain that separator, so the key still covers
    everything that determines the cell; the hashing of the shared part is done once, not once per cell.
    """

    def __init__(self, *shared: Any):
        self._digest = hashlib.sha256(canonical_json(shared).encode())

    def key(self, *fields: Any, length: int = 20) -> str:
        text = "\x1f".join(map(str, fields))
        if text.count("\x1f") != len(fields) - 1:
            raise ValueError(f"a key field contains the separator: {fields!r}")
        digest = self._digest.copy()
        digest.update(("\x1e" + text).encode())
        return digest.hexdigest()[:length]
