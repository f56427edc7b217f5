"""The validity constraints every victim attack carries, as TextAttack constraints, and their rejection counts.

- `NegationModification` (before a transformation): a word that overlaps negation (`negation.spans`) is
  never chosen for editing, so search methods do not even rank it;
- `NegationKept` (after): a candidate must have exactly the original's negation markers, field by field,
  which also rejects a negation an edit would create ("now" -> "not", an inserted 不, BAE's "never");
- `MeaningKept` (after, when the threshold is above 0): the encoder similarity of `meaning.Encoder` is at
  least the threshold in every changed field.

Each builder lists them (`validity.constraints`) after the recipe's own, and `perturb.attack_examples`
refuses an attack without the negation pair (`validity.check`). `count_rejections` counts, per constraint, the candidates
it turned down: a candidate is counted by the first constraint that rejects it, in the recipe's order.
"""

from __future__ import annotations

from collections import Counter

from xstore.runners.attacks import negation, textattack_offline

textattack_offline.load()

from textattack.constraints import Constraint, PreTransformationConstraint  # noqa: E402 - needs the set-up above

# Short names for the rejection counts stored with each perturbation.
_NAMES = {"LevenshteinEditDistance": "levenshtein", "MaxWordsPerturbed": "max_words", "NegationKept": "negation",
          "MeaningKept": "similarity", "MultilingualUniversalSentenceEncoder": "use"}


def fields(text) -> tuple[str, ...]:
    """An AttackedText's input fields (premise, hypothesis), as strings."""
    return tuple(text._text_input.values())


class NegationModification(PreTransformationConstraint):
    """Words that overlap a stretch of negation are never modified."""

    def __init__(self, language: str):
        self.language = language

    def _get_modifiable_indices(self, current_text) -> set[int]:
        text = current_text.text
        protected = negation.spans(text, self.language)
        free, position = set(), 0
        for i, word in enumerate(current_text.words):
            start = text.find(word, position)
            if start < 0:  # not found as written: leave it alone rather than guess
                continue
            end = position = start + len(word)
            if not any(a < end and start < b for a, b in protected):
                free.add(i)
        return free

    def extra_repr_keys(self):
        return ["language"]


class NegationKept(Constraint):
    """The candidate has the original's negation markers, in order, in every field."""

    def __init__(self, language: str):
        super().__init__(compare_against_original=True)
        self.language = language
        self._reference: tuple = ((), ())

    def _markers(self, text) -> list[list[str]]:
        return [negation.markers(field, self.language) for field in fields(text)]

    def _check_constraint(self, transformed_text, reference_text) -> bool:
        if self._reference[0] != fields(reference_text):  # the original is checked against many candidates
            self._reference = (fields(reference_text), self._markers(reference_text))
        return self._markers(transformed_text) == self._reference[1]

    def extra_repr_keys(self):
        return ["language"]


class MeaningKept(Constraint):
    """Encoder similarity to the original of at least `threshold` in every field the candidate changed."""

    def __init__(self, encoder, threshold: float):
        super().__init__(compare_against_original=True)
        self.encoder, self.threshold = encoder, threshold

    def _check_constraint_many(self, transformed_texts, reference_text):
        before = fields(reference_text)
        scores = self.encoder.similarity([(before, fields(t)) for t in transformed_texts])
        kept = []
        for text, score in zip(transformed_texts, scores):
            text.attack_attrs["similarity"] = score
            if score is None or score >= self.threshold:
                kept.append(text)
        return kept

    def _check_constraint(self, transformed_text, reference_text) -> bool:
        return bool(self._check_constraint_many([transformed_text], reference_text))

    def extra_repr_keys(self):
        return ["threshold"]


def constraints(victim, language: str, params: dict) -> list:
    """The constraints every victim attack adds to its recipe's: negation kept, and meaning kept when
    `params["similarity_threshold"]` > 0, under the encoder `params["similarity_encoder"]` (a loadable
    directory; the runner resolves "base" to the run's pretrained model)."""
    from xstore.runners.attacks.meaning import Encoder

    out = [NegationModification(language), NegationKept(language)]
    if params["similarity_threshold"] > 0:
        encoder = Encoder(params["similarity_encoder"], victim.max_length, victim.batch_size)
        out.append(MeaningKept(encoder, params["similarity_threshold"]))
    return out


def check(attack) -> None:
    """Refuse an attack whose builder left out the negation constraints (a programming error)."""
    if not (any(isinstance(c, NegationModification) for c in attack.pre_transformation_constraints)
            and any(isinstance(c, NegationKept) for c in attack.constraints)):
        raise RuntimeError("an attack builder must add validity.constraints(...) to its constraints")


def count_rejections(attack) -> Counter:
    """A Counter, by constraint name, of the candidates each constraint of `attack` rejects from now on."""
    counts: Counter = Counter()
    for constraint in attack.constraints:
        name = _NAMES.get(type(constraint).__name__, type(constraint).__name__)
        call_many = constraint.call_many

        def counted(texts, reference, _call=call_many, _name=name):
            kept = _call(texts, reference)
            counts[_name] += len(texts) - len(kept)
            return kept

        constraint.call_many = counted
    return counts


def meaning_encoder(attack):
    """The encoder of the attack's `MeaningKept` constraint, or None."""
    return next((c.encoder for c in attack.constraints if isinstance(c, MeaningKept)), None)
