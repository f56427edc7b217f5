"""Model-independent homoglyph noise: the same perturbed text for every model.

Each character that has a homoglyph in the Unicode confusables table (`confusables.table()`, every
script) is replaced, with probability `rate`, by one of them drawn at random: the random visual noise
of VIPER (Eger et al. 2019, "Text Processing Like Humans Do", NAACL), with Unicode's confusables as the
visual neighbours, as in the homoglyph attack of Boucher et al. 2022. The random stream is seeded by
(seed, example id), so an example's noise does not depend on which other examples are in the cell.
Negation is never swapped, as in `charnoise.noise_rows`.
"""

from __future__ import annotations

import random

from xstore.runners.attacks import confusables
from xstore.runners.charnoise import noise_rows


def perturb_text(text: str, rate: float, rng: random.Random, protected: frozenset = frozenset()) -> tuple[str, int]:
    """`text` with random homoglyph swaps, and the number of swaps (at least one if possible); characters at
    the `protected` positions are never swapped."""
    table = confusables.table()
    out, swaps = [], 0
    for k, c in enumerate(text):
        if c in table and k not in protected and rng.random() < rate:
            out.append(rng.choice(table[c]))
            swaps += 1
        else:
            out.append(c)
    positions = [k for k, c in enumerate(text) if c in table and k not in protected]
    if swaps == 0 and positions:
        # A short text can escape every draw; force one swap so each attempt perturbs.
        k = rng.choice(positions)
        out[k], swaps = rng.choice(table[text[k]]), 1
    return "".join(out), swaps


def perturb_rows(rows: list[dict], params: dict, language: str, encoder=None) -> list[dict]:
    """Perturb every text field of every row; returns one attempt per row."""
    return noise_rows("homoglyphnoise", perturb_text, rows, params, language, encoder)
