"""Homoglyphs for every script: the Unicode confusables table (UTS #39), as shipped by `homoglyphs`.

Each character maps to the single characters Unicode lists as visually confusable with it, in both
directions. Pairs that NFKC normalisation makes equal are left out: XLM-R's SentencePiece normalises
with NFKC, so a full-width "ａ" or a compatibility ideograph reaches the model as the original
character and changes nothing the model sees. Spaces and invisible format characters are left out too.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def table() -> dict[str, tuple[str, ...]]:
    """Character -> its confusable characters, sorted (so seeded choices repeat exactly)."""
    data = json.loads(resources.files("homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8"))
    pairs: dict[str, set[str]] = {}
    for char, others in data.items():
        if len(char) != 1 or not _visible(char):
            continue
        for other in others:
            if len(other) == 1 and other != char and _visible(other) and _nfkc(other) != _nfkc(char):
                pairs.setdefault(char, set()).add(other)
                pairs.setdefault(other, set()).add(char)
    return {char: tuple(sorted(others)) for char, others in pairs.items()}


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] not in "CZ"  # not a control, format, space or separator


def _nfkc(char: str) -> str:
    return unicodedata.normalize("NFKC", char)
