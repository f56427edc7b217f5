"""The negation lists: one per attacked language, versioned, and finding negation as words, affixes and characters."""

import hashlib
import json

import pytest

from xstore.catalog import TASKS
from xstore.errors import UserError
from xstore.runners.attacks import negation

# Each list's content, pinned to its version: a list that changes without a new version fails here, since
# the version is what puts the change into the perturb cells' keys.
PINNED = {
    "ar": (1, "b9b8204e4b7b2a56"),
    "bg": (1, "a51a7b592fbb12f2"),
    "de": (1, "03f6270de33a1097"),
    "el": (1, "ba993cb1db8c63f5"),
    "en": (1, "ac92bbe142be7098"),
    "es": (1, "e655b3900d273570"),
    "fr": (1, "4a3db64f647390d4"),
    "hi": (1, "c50128f4a7e41a9d"),
    "ja": (1, "7d3069bc4b5428e6"),
    "ko": (1, "2963f4c119d433ff"),
    "ru": (1, "e5dd50f194fa3bb0"),
    "sw": (1, "b38ba4f835c9ba40"),
    "th": (1, "654b796568ad79c7"),
    "tr": (1, "e668bd96d6a61ced"),
    "ur": (1, "b45282117a9d75fe"),
    "vi": (1, "e415b925b8707f4c"),
    "zh": (1, "089c6f156c108429"),
}


def _content(lexicon) -> str:
    body = json.dumps([sorted(lexicon.words), lexicon.prefixes, lexicon.suffixes, lexicon.infixes, lexicon.clitics],
                      ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def test_every_language_an_attack_may_run_on_has_a_cited_list():
    attacked = {lang for task in TASKS.values() if task.head == "classification" and task.role != "intermediate"
                for lang in task.languages}
    assert attacked == set(negation.LEXICONS)  # XNLI's 15, PAWS-X's ja and ko, the demo's languages
    for language, lexicon in negation.LEXICONS.items():
        assert len(lexicon.source) > 60 and lexicon.words, language


@pytest.mark.parametrize("language", sorted(negation.LEXICONS))
def test_a_changed_list_has_a_new_version(language):
    lexicon = negation.LEXICONS[language]
    version, content = PINNED[language]
    assert (lexicon.version, _content(lexicon)) == (version, content), (
        f"the {language} list changed: bump its version in runners/attacks/negation.py, then update PINNED")


def test_unknown_language_is_one_clear_error():
    with pytest.raises(UserError, match="no negation list for language 'xx'"):
        negation.markers("text", "xx")


# (language, text, the negation in it): words, affixes, clitics, and stretches of unspaced text.
FOUND = [
    ("zh", "我还没有和他再次谈论。", ["没有"]),  # the example: 没 and 有 form one marker
    ("zh", "我根本没想过", ["没"]),
    ("zh", "他并没有来，也不会来。", ["并没有", "不会"]),
    ("zh", "我还有和他再次谈论。", []),
    ("ja", "彼は行かなかった。", ["なかっ"]),
    ("th", "ฉันไม่ได้ไปตลาด", ["ไม่ได้"]),
    ("de", "Das ist nicht wahr, er hat keinen Hund.", ["nicht", "keinen"]),
    ("en", "I don't know and I can’t say.", ["don't", "can’t"]),
    ("en", "Nobody came, now.", ["nobody"]),
    ("fr", "Il n'a rien vu.", ["n'a", "rien"]),
    ("ru", "Я не знаю, никого нет.", ["не", "никого", "нет"]),
    ("sw", "Hakuna matata, sijawahi kuona, tusiende.", ["hakuna", "sijawahi", "tusiende"]),
    ("tr", "Gelmedim ama iyi değil, bilmiyorum.", ["gelmedim", "ama", "değil", "bilmiyorum"]),
    ("tr", "İstanbul güzel.", []),  # dotted capital İ folds to i, no stray combining dot
    ("ar", "وَلَمْ يذهب ولا أعرف", ["ولم", "ولا"]),  # vowel signs ignored, wa- clitic stripped
    ("hi", "मैं नहीं जानता।", ["नहीं"]),  # vowel signs stay inside the word
    ("ko", "나는 가지 않았다. 안 가요.", ["않았다", "안"]),
    ("vi", "Tôi không biết.", ["không"]),
    ("el", "Δεν ξέρω τίποτα.", ["δεν", "τίποτα"]),
]


@pytest.mark.parametrize("language, text, expected", FOUND)
def test_markers_find_negation_in_every_form(language, text, expected):
    assert negation.markers(text, language) == expected
    spans = negation.spans(text, language)
    assert len(spans) == len(expected)
    assert [negation.fold(text[a:b], language) for a, b in spans] == expected


def test_any_edit_of_a_marker_changes_the_markers():
    # deleted, altered (a homoglyph too), or created: each changes the list an attack must keep
    assert negation.markers("我还有和他再次谈论。", "zh") != negation.markers("我还没有和他再次谈论。", "zh")
    assert negation.markers("我还没友和他再次谈论。", "zh") == ["没"]
    assert negation.markers("Das ist nicht wahr.", "de") != negation.markers("Das ist nіcht wahr.", "de")  # Cyrillic і
    assert negation.markers("It is now clear.", "en") == [] != negation.markers("It is not clear.", "en")
    assert negation.protects("没有", "zh") and negation.protects("hakuna", "sw") and not negation.protects("Haus", "de")
