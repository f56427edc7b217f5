"""Keyboard typos: Pruthi, Dhingra & Lipton 2019, "Combating Adversarial Misspellings with Robust Word
Recognition" (ACL 2019; https://arxiv.org/abs/1905.11268).

TextAttack's `Pruthi2019` recipe, made to work in every language:
- the keyboard-neighbour typo uses the language's own layout (below); a language without one listed
  gets the other three typos only;
- inserted letters come from the language's own alphabet (TextAttack: ASCII letters);
- stop words are the language's stopwords-iso list (TextAttack: NLTK's English list);
- the query budget and the maximum share of changed words come from the cell's parameters;
- negation is never edited, removed or created, and the meaning must stay (`validity.constraints`).
"""

from __future__ import annotations

from xstore.runners.attacks import languages, textattack_offline, validity

textattack_offline.load()

from textattack import Attack  # noqa: E402 - needs the offline set-up above
from textattack.constraints.overlap import MaxWordsPerturbed  # noqa: E402
from textattack.constraints.pre_transformation import (  # noqa: E402
    MinWordLength,
    RepeatModification,
    StopwordModification,
)
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedySearch  # noqa: E402
from textattack.transformations import (  # noqa: E402
    CompositeTransformation,
    WordSwapNeighboringCharacterSwap,
    WordSwapQWERTY,
    WordSwapRandomCharacterDeletion,
    WordSwapRandomCharacterInsertion,
)

# Unshifted letter rows of each national standard layout, top to bottom; "" marks a key that types no
# letter of the language, so columns stay aligned. English keeps TextAttack's own QWERTY table.
KEYBOARDS: dict[str, list[list[str]]] = {
    "de": [list("qwertzuiopü"), list("asdfghjklöä"), list("yxcvbnm")],  # QWERTZ, DIN 2137
    "fr": [list("azertyuiop"), list("qsdfghjklmù"), list("wxcvbn")],  # AZERTY
    "es": [list("qwertyuiop"), list("asdfghjklñ"), list("zxcvbnm")],  # Spanish QWERTY
    "tr": [list("qwertyuıopğü"), list("asdfghjklşi"), list("zxcvbnmöç")],  # Turkish Q
    "sw": [list("qwertyuiop"), list("asdfghjkl"), list("zxcvbnm")],  # QWERTY
    "vi": [list("qwertyuiop"), list("asdfghjkl"), list("zxcvbnm")],  # QWERTY (Telex input)
    "ru": [list("йцукенгшщзхъ"), list("фывапролджэ"), list("ячсмитьбю")],  # ЙЦУКЕН, GOST 6431
    "el": [["", *"ςερτυθιοπ"], list("ασδφγηξκλ"), list("ζχψωβνμ")],  # Greek, on QWERTY positions
    "ar": [list("ضصثقفغعهخحجد"), list("شسيبلاتنمكط"), ["ئ", "ء", "ؤ", "ر", "", "ى", "ة", "و", "ز", "ظ"]],  # Arabic 101
    "th": [list("ๅ/-ภถุึคตจขช"), list("ๆไำพะัีรนยบล"), list("ฟหกดเ้่าสวง"), list("ผปแอิืทมใฝ")],  # Kedmanee
}


def build(victim, language: str, params: dict) -> Attack:
    """The attack for one victim and one language; `params` are the cell's budget and seed."""
    # Pruthi et al. 2019: swap two inner neighbours, drop, add, or hit a neighbouring key; "ignore the
    # first and last letter of each word, as in the paper" (TextAttack's recipe); every position tried.
    inner = dict(random_one=False, skip_first_char=True, skip_last_char=True)
    typos = [
        WordSwapNeighboringCharacterSwap(**inner),
        WordSwapRandomCharacterDeletion(**inner),
        WordSwapRandomCharacterInsertion(letters_to_insert=languages.alphabet(language), **inner),
    ]
    if language == "en" or language in KEYBOARDS:
        keyboard = WordSwapQWERTY(**inner)
        if language != "en":
            keyboard._keyboard_adjacency = neighbours(KEYBOARDS[language])
        typos.append(keyboard)
    constraints = [
        # TextAttack's recipe: "only edit words of length >= 4".
        MinWordLength(min_length=4),
        StopwordModification(stopwords=languages.stopwords(language)),
        RepeatModification(),
    ]
    # "The paper looks at 1 and 2 char attacks" (TextAttack's recipe): one word, so one edit, by default.
    most_words = params["max_words_perturbed"] or None  # 0: no count limit
    share = params["max_words_perturbed_share"] if params["max_words_perturbed_share"] < 1 else None
    if most_words or share:
        constraints.append(MaxWordsPerturbed(max_num_words=most_words, max_percent=share))
    constraints += validity.constraints(victim, language, params)
    goal_function = UntargetedClassification(
        victim, query_budget=params["query_budget"] or float("inf"), model_batch_size=victim.batch_size)
    return Attack(goal_function, constraints, CompositeTransformation(typos), GreedySearch())


def neighbours(rows: list[list[str]]) -> dict[str, list[str]]:
    """Keys that touch each key on a staggered keyboard: left, right, two above and two below.

    Each row sits about half a key to the right of the row above, so key c of row r touches keys c
    and c + 1 of row r - 1 and keys c - 1 and c of row r + 1.
    """
    table: dict[str, list[str]] = {}
    for r, row in enumerate(rows):
        for c, key in enumerate(row):
            if not key:
                continue
            near = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            table[key] = [rows[i][j] for i, j in near
                          if 0 <= i < len(rows) and 0 <= j < len(rows[i]) and rows[i][j]]
    return table
