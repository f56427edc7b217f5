"""Homoglyph swap: Boucher, Shumailov, Anderson & Papernot 2022, "Bad Characters: Imperceptible NLP
Attacks" (IEEE S&P 2022; https://arxiv.org/abs/2106.09898), homoglyph perturbations.

The paper replaces characters with visually identical ones from the Unicode confusables list.
TextAttack's `WordSwapHomoglyphSwap` has a Latin-only table and reads a file its wheel lacks, and its
recipe searches with differential evolution over a targeted goal. Here the table is the whole Unicode
confusables list (`confusables.table()`, every script), and the search is DeepWordBug's: rank words by
importance, then swap one character of one word at a time until the prediction flips (Gao et al. 2018,
as in `deepwordbug_gao2018`). The query budget and the maximum share of changed words come from the
cell's parameters; negation is never edited, and the meaning must stay (`validity.constraints`).
"""

from __future__ import annotations

import random

from xstore.runners.attacks import confusables, languages, textattack_offline, validity

textattack_offline.load()

from textattack import Attack  # noqa: E402 - needs the offline set-up above
from textattack.constraints.overlap import MaxWordsPerturbed  # noqa: E402
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification  # noqa: E402
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402
from textattack.transformations import WordSwap  # noqa: E402


class WordSwapConfusable(WordSwap):
    """Candidates for a word: at each position that has a homoglyph, one seeded random homoglyph."""

    def _get_replacement_words(self, word: str) -> list[str]:
        table = confusables.table()
        return [word[:i] + random.choice(table[c]) + word[i + 1:] for i, c in enumerate(word) if c in table]

    @property
    def deterministic(self) -> bool:
        return False  # draws from `random`, seeded per example by the runner


def build(victim, language: str, params: dict) -> Attack:
    """The attack for one victim and one language; `params` are the cell's budget and seed."""
    constraints = [
        # As DeepWordBug (TextAttack's recipe): never edit the same word twice, never a stop word.
        RepeatModification(),
        StopwordModification(stopwords=languages.stopwords(language)),
    ]
    if params["max_words_perturbed_share"] < 1:
        constraints.append(MaxWordsPerturbed(max_percent=params["max_words_perturbed_share"]))
    constraints += validity.constraints(victim, language, params)
    goal_function = UntargetedClassification(
        victim, query_budget=params["query_budget"] or float("inf"), model_batch_size=victim.batch_size)
    # Importance of a word: the drop in the gold-label probability when it becomes the unknown token.
    search_method = GreedyWordSwapWIR(wir_method="unk", unk_token=victim.tokenizer.unk_token)
    return Attack(goal_function, constraints, WordSwapConfusable(), search_method)
