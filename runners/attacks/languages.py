"""What the attacks need to know about a language: its stop words, its letters, whether it spaces words.

Stop words come from stopwords-iso (the `stopwordsiso` package, lists for 50+ languages under their
ISO 639-1 codes, including every XNLI and PAWS-X language), so no attack edits "the", "и" or "的".
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

from xstore.errors import UserError

# Written without spaces between words: a "word" is then a run of text between spaces or punctuation
# (jieba segments Chinese inside TextAttack), and masked-LM candidates need not start a new word.
UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})


@lru_cache(maxsize=None)
def stopwords(language: str) -> frozenset[str]:
    """The stopwords-iso list for `language`, lower-cased, with capitalised forms added."""
    import stopwordsiso

    if not stopwordsiso.has_lang(language):
        raise UserError(f"no stop-word list for language {language!r} in stopwords-iso; attacks that keep "
                        f"stop words unmodified cannot run on it")
    words = {w.lower() for w in stopwordsiso.stopwords(language)}
    # TextAttack compares the word as written, so "The" at a sentence start must be listed too.
    return frozenset(words | {w[:1].upper() + w[1:] for w in words})


@lru_cache(maxsize=None)
def alphabet(language: str) -> str:
    """Letters to insert or substitute: those of the language's own stop words, in its main script.

    TextAttack inserts ASCII letters, which would put Latin letters into a Russian or Hindi word.
    The stop-word list is a small, dependable sample of a language's letters (and vowel signs).
    """
    letters = {c for word in stopwords(language) for c in word.lower()
               if c.isalpha() or unicodedata.category(c).startswith("M")}
    scripts = Counter(_script(c) for c in letters)
    main = scripts.most_common(1)[0][0]
    letters = {c for c in letters if _script(c) == main}
    letters |= {c.upper() for c in letters if len(c.upper()) == 1}
    return "".join(sorted(letters))


def _script(char: str) -> str:
    """The first word of the character's Unicode name: LATIN, CYRILLIC, DEVANAGARI, CJK, ..."""
    return unicodedata.name(char, "UNKNOWN").split()[0]
