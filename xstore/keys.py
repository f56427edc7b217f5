"""Content keys: a cell's key is a hash of everything that determines its result, versions included."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any


# One encoder, built once: key derivation runs for every declared cell of a grid.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces, so equal values always give equal text."""
    return _ENCODER.encode(value)


def content_key(*parts: Any, length: int = 20) -> str:
    """A short hex digest of `parts` (80 bits: collisions are out of reach for any real grid)."""
    return hashlib.sha256(canonical_json(parts).encode()).hexdigest()[:length]


class Slot:
    """A placeholder for a value that varies between cells of one KeyTemplate (encoded as a NUL-marked string)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:  # what the encoder's default=str writes
        return f"\x00slot:{self.name}\x00"


class KeyTemplate:
    """content_key for many cells that differ only in a few values: the rest is encoded once.

    `KeyTemplate(kind, params, parents)`, with `Slot("seed")` where a value varies, then
    `.key(seed=3)` equals `content_key(kind, params_with_3, parents)`. The parts are encoded with each
    slot as a placeholder string, whose JSON is then replaced by the value's. Placeholders hold a NUL
    character, which no catalogue name, hex key, number or file path can contain.
    """

    def __init__(self, *parts: Any) -> None:
        self._text = canonical_json(parts)
        self._marks: dict[str, str] = {}
        for name in re.findall(r"\\u0000slot:([^\\]+)\\u0000", self._text):
            mark = canonical_json(str(Slot(name)))
            if self._text.count(mark) != 1:
                raise ValueError(f"slot {name!r} appears more than once")
            self._marks[name] = mark

    def key(self, length: int = 20, **values: Any) -> str:
        if values.keys() != self._marks.keys():
            raise ValueError(f"slots {sorted(self._marks)} need values, got {sorted(values)}")
        text = self._text
        for name, value in values.items():
            text = text.replace(self._marks[name], _value_json(value))
        return hashlib.sha256(text.encode()).hexdigest()[:length]


def _value_json(value: Any) -> str:
    """canonical_json(value), with fast paths for the ints and hex keys that fill most slots."""
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and value.isalnum() and value.isascii():
        return f'"{value}"'
    return canonical_json(value)


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
        return self.key_from(self.head(*fields[:-1]), str(fields[-1]), length=length)

    @staticmethod
    def head(*fields: Any) -> str:
        """The text of all fields but the last, checked once: callers cache it across many keys."""
        if not fields:
            return "\x1e"
        text = "\x1f".join(map(str, fields))
        if text.count("\x1f") != len(fields) - 1 or "\x1e" in text:
            raise ValueError(f"a key field contains a separator: {fields!r}")
        return "\x1e" + text + "\x1f"

    def key_from(self, head: str, last: str, length: int = 20) -> str:
        """The key of head's fields followed by `last` (a hex key, which holds no separator)."""
        digest = self._digest.copy()
        digest.update((head + last).encode())
        return digest.hexdigest()[:length]
