"""DeepWordBug: Gao, Lanchantin, Soffa & Qi 2018, "Black-box Generation of Adversarial Text Sequences to
Evade Deep Learning Classifiers" (IEEE S&P Workshops; https://arxiv.org/abs/1801.04354).

TextAttack's `DeepWordBugGao2018` recipe, made to work in every language:
- letters inserted or substituted come from the language's own alphabet (TextAttack draws ASCII
  letters, which would put Latin letters into Cyrillic or Devanagari words);
- stop words are the language's stopwords-iso list (TextAttack: NLTK's English list);
- words are ranked by replacing each with the victim tokenizer's own unknown token (TextAttack's
  default "[UNK]" is BERT's; XLM-R reads it as four ordinary pieces);
- the query budget and the maximum share of changed words come from the cell's parameters;
- negation is never edited, removed or created, and the meaning must stay (`validity.constraints`).
"""

from __future__ import annotations

from xstore.runners.attacks import languages, textattack_offline, validity

textattack_offline.load()

from textattack import Attack  # noqa: E402 - needs the offline set-up above
from textattack.constraints.overlap import LevenshteinEditDistance, MaxWordsPerturbed  # noqa: E402
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification  # noqa: E402
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402
from textattack.transformations import (  # noqa: E402
    CompositeTransformation,
    WordSwapNeighboringCharacterSwap,
    WordSwapRandomCharacterDeletion,
    WordSwapRandomCharacterInsertion,
    WordSwapRandomCharacterSubstitution,
)


def build(victim, language: str, params: dict) -> Attack:
    """The attack for one victim and one language; `params` are the cell's budget and seed."""
    alphabet = languages.alphabet(language)
    # Gao et al. 2018's four "transformers", each applied once at a random position of the word
    # (random_one, TextAttack's default): swap two neighbours, substitute, delete, insert.
    transformation = CompositeTransformation([
        WordSwapNeighboringCharacterSwap(),
        WordSwapRandomCharacterSubstitution(letters_to_insert=alphabet),
        WordSwapRandomCharacterDeletion(),
        WordSwapRandomCharacterInsertion(letters_to_insert=alphabet),
    ])
    constraints = [
        # TextAttack's recipe: never edit the same word twice, never edit a stop word.
        RepeatModification(),
        StopwordModification(stopwords=languages.stopwords(language)),
        # Gao et al. 2018, as quoted in TextAttack's recipe: "we hold the maximum difference on edit
        # distance (ϵ) to a constant 30 for each sample".
        LevenshteinEditDistance(30),
    ]
    if params["max_words_perturbed_share"] < 1:
        constraints.append(MaxWordsPerturbed(max_percent=params["max_words_perturbed_share"]))
    constraints += validity.constraints(victim, language, params)
    goal_function = UntargetedClassification(
        victim, query_budget=params["query_budget"] or float("inf"), model_batch_size=victim.batch_size)
    # Gao et al. rank words by a black-box importance score, then edit them greedily in that order;
    # TextAttack's recipe scores a word by the drop in the gold-label probability when it is replaced by
    # the unknown token.
    search_method = GreedyWordSwapWIR(wir_method="unk", unk_token=victim.tokenizer.unk_token)
    return Attack(goal_function, constraints, transformation, search_method)
