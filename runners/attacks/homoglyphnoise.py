"""Model-independent homoglyph noise: the same perturbed text for every model.

Each character that has a homoglyph in the Unicode confusables table (`confusables.table()`, every
script) is replaced, with probability `rate`, by one of them drawn at random: the random visual noise
of VIPER (Eger et al. 2019, "Text Processing Like Humans Do", NAACL), with Unicode's confusables as the
visual neighbours, as in the homoglyph attack of Boucher et al. 2022. The random stream is seeded by
(seed, example id), so an example's noise does not depend on which other examples are in the cell.
"""

from __future__ import annotations

import random

from xstore.keys import content_key
from xstore.runners.attacks import confusables
from xstore.runners.charnoise import words_changed


def perturb_text(text: str, rate: float, rng: random.Random) -> tuple[str, int]:
    """`text` with random homoglyph swaps, and the number of swaps (at least one if possible)."""
    table = confusables.table()
    out, swaps = [], 0
    for c in text:
        if c in table and rng.random() < rate:
            out.append(rng.choice(table[c]))
            swaps += 1
        else:
            out.append(c)
    positions = [k for k, c in enumerate(text) if c in table]
    if swaps == 0 and positions:
        # A short text can escape every draw; force one swap so each attempt perturbs.
        k = rng.choice(positions)
        out[k], swaps = rng.choice(table[text[k]]), 1
    return "".join(out), swaps


def perturb_rows(rows: list[dict], params: dict) -> list[dict]:
    """Perturb every text field of every row; returns one attempt per row."""
    attempts = []
    for row in rows:
        rng = random.Random(content_key("homoglyphnoise", params["seed"], row["id"]))
        new_a, swaps_a = perturb_text(row["text_a"], params["rate"], rng)
        new_b, swaps_b = (None, 0)
        if row["text_b"] is not None:
            new_b, swaps_b = perturb_text(row["text_b"], params["rate"], rng)
        attempts.append({
            "text_a": new_a, "text_b": new_b, "outcome": "perturbed", "queries": 0,
            "chars_changed": swaps_a + swaps_b,
            "words_changed": words_changed(row["text_a"], new_a) + (words_changed(row["text_b"], new_b) if new_b else 0),
        })
    return attempts
