"""Model-independent random character noise: the same perturbed text for every model.

Each letter is edited with probability `rate` by one of four operations, as in the synthetic noise of
Belinkov & Bisk 2018 and the character edits of DeepWordBug (Gao et al. 2018): delete it, insert a
letter after it, substitute it, or swap it with its right neighbour. New letters are drawn from the
same text, so a Cyrillic or Devanagari sentence stays in its own script. The random stream is seeded
by (seed, example id): an example's noise does not depend on which other examples are in the cell.
Negation is never edited (`attacks.negation`): its characters are skipped, and a draw that still changes
the text's negation markers (an edit that makes "now" into "not") is drawn again, as is one below the
similarity threshold when the cell sets one (`attacks.meaning`).
"""

from __future__ import annotations

import random
from collections import Counter

from xstore.keys import content_key
from xstore.runners.attacks import negation

# Draws per example before giving up and keeping its text unperturbed: a constraint that rejects a share r
# of draws leaves an example unperturbed with probability r**20 (under 1e-6 for r = 0.5).
MAX_DRAWS = 20

OPERATIONS = ("delete", "insert", "substitute", "swap")


def perturb_text(text: str, rate: float, rng: random.Random, protected: frozenset = frozenset()) -> tuple[str, int]:
    """`text` with random character edits, and the number of edits made (at least one if possible).

    Characters at the `protected` positions are never edited, nor swapped with a neighbour.
    """
    letters = [c for c in text if c.isalpha()] or list(text)
    chars, edits, i = list(text), 0, 0
    out: list[str] = []
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and i not in protected and rng.random() < rate:
            op = rng.choice(OPERATIONS)
            edits += 1
            if op == "delete":
                i += 1
                continue
            if op == "insert":
                out += [c, rng.choice(letters)]
            elif op == "substitute":
                out.append(rng.choice([x for x in letters if x != c] or [c]))
            elif i + 1 < len(chars) and chars[i + 1] != c and i + 1 not in protected:
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
    positions = [k for k, c in enumerate(text) if c.isalpha() and k not in protected]
    if edits == 0 and positions:
        # A short text can escape every draw; force one substitution so each attempt perturbs.
        k = rng.choice(positions)
        choices = [x for x in letters if x != text[k]] or [text[k]]
        perturbed, edits = text[:k] + rng.choice(choices) + text[k + 1:], 1
    return perturbed, edits


def words_changed(before: str, after: str) -> int:
    """Whitespace-separated words that differ position by position (plus any length difference)."""
    a, b = before.split(), after.split()
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def noise_rows(name: str, perturb, rows: list[dict], params: dict, language: str, encoder=None) -> list[dict]:
    """Apply `perturb(text, rate, rng, protected)` to every text field of every row, seeded by (name, seed,
    example id), keeping negation and, with an `encoder`, meaning (`params["similarity_threshold"]`).

    Shared by the model-independent noise attacks; returns one attempt per row. A rejected draw is drawn
    again from the same stream, at most MAX_DRAWS times; `rejected` counts the rejections per constraint.
    """
    threshold = params.get("similarity_threshold", 0.0) if encoder is not None else 0.0
    originals = [tuple(t for t in (row["text_a"], row["text_b"]) if t is not None) for row in rows]
    rngs = [random.Random(content_key(name, params["seed"], row["id"])) for row in rows]
    protected = [[frozenset(k for a, b in negation.spans(t, language) for k in range(a, b)) for t in texts]
                 for texts in originals]
    kept = [[negation.markers(t, language) for t in texts] for texts in originals]
    rejected = [Counter() for _ in rows]
    accepted: dict[int, tuple] = {}
    pending = list(range(len(rows)))
    for _ in range(MAX_DRAWS):
        drawn = {}
        for i in pending:
            texts, edits = zip(*(perturb(t, params["rate"], rngs[i], p) for t, p in zip(originals[i], protected[i])))
            if [negation.markers(t, language) for t in texts] == kept[i]:
                drawn[i] = (texts, edits, None)
            else:
                rejected[i]["negation"] += 1
        if threshold > 0 and drawn:
            scores = encoder.similarity([(originals[i], drawn[i][0]) for i in drawn])
            for i, score in zip(list(drawn), scores):
                if score is not None and score < threshold:
                    rejected[i]["similarity"] += 1
                    del drawn[i]
                else:
                    drawn[i] = (*drawn[i][:2], score)
        accepted.update(drawn)
        pending = [i for i in pending if i not in accepted]
        if not pending:
            break
    attempts = []
    for i, row in enumerate(rows):
        texts, edits, score = accepted.get(i, (originals[i], (0,) * len(originals[i]), None))
        attempts.append({
            "text_a": texts[0], "text_b": texts[1] if len(texts) > 1 else None, "outcome": "perturbed",
            "queries": 0, "chars_changed": sum(edits), "similarity": score, "rejected": dict(rejected[i]),
            "words_changed": sum(words_changed(a, b) for a, b in zip(originals[i], texts)),
        })
    return attempts


def perturb_rows(rows: list[dict], params: dict, language: str, encoder=None) -> list[dict]:
    """Perturb every text field of every row; returns one attempt per row."""
    return noise_rows("charnoise", perturb_text, rows, params, language, encoder)
