"""Model-independent random character noise: the same perturbed text for every model.

Each letter is edited with probability `rate` by one of four operations, as in the synthetic noise of
Belinkov & Bisk 2018 and the character edits of DeepWordBug (Gao et al. 2018): delete it, insert a
letter after it, substitute it, or swap it with its right neighbour. New letters are drawn from the
same text, so a Cyrillic or Devanagari sentence stays in its own script. The random stream is seeded
by (seed, example id): an example's noise does not depend on which other examples are in the cell.
"""

from __future__ import annotations

import random

from xstore.keys import content_key

OPERATIONS = ("delete", "insert", "substitute", "swap")


def perturb_text(text: str, rate: float, rng: random.Random) -> tuple[str, int]:
    """`text` with random character edits, and the number of edits made (at least one if possible)."""
    letters = [c for c in text if c.isalpha()] or list(text)
    chars, edits, i = list(text), 0, 0
    out: list[str] = []
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < rate:
            op = rng.choice(OPERATIONS)
            edits += 1
            if op == "delete":
                i += 1
                continue
            if op == "insert":
                out += [c, rng.choice(letters)]
            elif op == "substitute":
                out.append(rng.choice([x for x in letters if x != c] or [c]))
            elif i + 1 < len(chars) and chars[i + 1] != c:
                out += [chars[i + 1], c]
                i += 2
                continue
            else:
                out.append(c)
                edits -= 1
        else:
            out.append(c)
        i += 1
    perturbed = "".join(out)
    if edits == 0 and any(c.isalpha() for c in text):
        # A short text can escape every draw; force one substitution so each attempt perturbs.
        positions = [k for k, c in enumerate(text) if c.isalpha()]
        k = rng.choice(positions)
        choices = [x for x in letters if x != text[k]] or [text[k]]
        perturbed, edits = text[:k] + rng.choice(choices) + text[k + 1:], 1
    return perturbed, edits


def words_changed(before: str, after: str) -> int:
    """Whitespace-separated words that differ position by position (plus any length difference)."""
    a, b = before.split(), after.split()
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def noise_rows(name: str, perturb, rows: list[dict], params: dict) -> list[dict]:
    """Apply `perturb(text, rate, rng)` to every text field of every row, seeded by (name, seed, example id).

    Shared by the model-independent noise attacks; returns one attempt per row.
    """
    attempts = []
    for row in rows:
        rng = random.Random(content_key(name, params["seed"], row["id"]))
        new_a, edits_a = perturb(row["text_a"], params["rate"], rng)
        new_b, edits_b = (None, 0)
        if row["text_b"] is not None:
            new_b, edits_b = perturb(row["text_b"], params["rate"], rng)
        attempts.append({
            "text_a": new_a, "text_b": new_b, "outcome": "perturbed", "queries": 0,
            "chars_changed": edits_a + edits_b,
            "words_changed": words_changed(row["text_a"], new_a) + (words_changed(row["text_b"], new_b) if new_b else 0),
        })
    return attempts


def perturb_rows(rows: list[dict], params: dict) -> list[dict]:
    """Perturb every text field of every row; returns one attempt per row."""
    return noise_rows("charnoise", perturb_text, rows, params)
