"""Negation, per language: the words, characters and affixes that no attack may edit, remove or create.

Deleting or altering a negation flips entailment and contradiction, so an attack that does it has not
kept the gold label. Each list below says where it comes from: the forms Universal Dependencies
treebanks mark `Polarity=Neg` (negating particles, auxiliaries, negative verb forms) or `PronType=Neg`
(nobody, nothing, never), counted over the files named, plus what a reference grammar adds where a
treebank is small, marks nothing, or where negation is a prefix or suffix. Lists over-protect on
purpose: an extra protected word makes an attack slightly weaker, a missing one makes its label wrong.

In scripts written with spaces a *word* carries negation when it is listed, or starts, ends or contains
a listed affix. In scripts without spaces (Chinese, Japanese, Thai) any stretch of text that matches a
listed form is a marker, longest form first, so the characters that make a negation word with the
negation character (没有, 不会, ไม่ได้) are part of it. `markers(text)` lists them in order: an attack keeps
the negation when the perturbed text has exactly the markers of the original.

A list's `version` is part of the key of every perturb cell in its language: change a list, bump its
version (tests/runners/test_negation.py pins each list's content to its version).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from xstore.errors import UserError

# Written without spaces between words (see languages.UNSPACED): markers are matched anywhere.
UNSPACED = frozenset({"zh", "ja", "th"})


@dataclass(frozen=True)
class Lexicon:
    """One language's negation: whole words, affixes, and one-letter proclitics that may precede a word."""

    version: int
    source: str
    words: frozenset[str]
    prefixes: tuple[str, ...] = ()  # a word that starts with one carries negation
    suffixes: tuple[str, ...] = ()
    infixes: tuple[str, ...] = ()  # a word that contains one; in unspaced scripts, any matching text
    clitics: str = ""  # letters written onto the next word (Arabic wa-, fa-): stripped once, then retried


def _lex(version: int, source: str, words: str, **affixes) -> Lexicon:
    split = {k: tuple(v.split()) for k, v in affixes.items() if k != "clitics"}
    return Lexicon(version, source, frozenset(words.split()), clitics=affixes.get("clitics", ""), **split)


LEXICONS: dict[str, Lexicon] = {
    "en": _lex(
        1, "UD_English-EWT 2.16 (dev, test): not, n't, no, never, nothing, none, neither, nor, and the negative "
           "contractions written without an apostrophe; Huddleston & Pullum 2002 (The Cambridge Grammar of the "
           "English Language, ch. 9): the absolute negators nobody, nowhere, cannot, and the approximate "
           "negators hardly, scarcely, barely, seldom, rarely; without",
        "not no never nothing none neither nor nobody nowhere cannot without hardly scarcely barely seldom rarely "
        "dont cant wont didnt doesnt isnt arent wasnt werent havent hasnt hadnt couldnt wouldnt shouldnt mustnt "
        "neednt aint",
        suffixes="n't n’t"),
    "de": _lex(
        1, "UD_German-GSD 2.16 (dev, test): nicht, nein, kein-, nichts, niemand, nix; Duden, Die Grammatik "
           "(9th ed. 2016), negation: nie, niemals, nirgends, nirgendwo, weder, ohne, keineswegs",
        "nicht nein nichts nix nie niemals nirgends nirgendwo nirgendwohin weder ohne",
        prefixes="kein niemand"),
    "fr": _lex(
        1, "UD_French-GSD 2.16 (dev, test): ne, n', pas, plus, que, non, rien, aucun(e), jamais, personne, point, "
           "nul; Grevisse & Goosse, Le Bon Usage (16th ed. 2016), negation: guère, ni, nullement, sans",
        "ne pas plus que non rien aucun aucune aucuns aucunes jamais personne point nul nulle guère ni nullement sans",
        prefixes="n' n’"),
    "es": _lex(
        1, "UD_Spanish-GSD 2.16 (dev, test): no, nada, ningún, nunca, nadie, ninguno/a, tampoco, ni; RAE & ASALE, "
           "Nueva gramática de la lengua española (2009), ch. 48: jamás, sin",
        "no nada nadie ningún ninguno ninguna ningunos ningunas nunca jamás tampoco ni sin"),
    "ru": _lex(
        1, "UD_Russian-GSD 2.16 (dev, test): не, ни; Wade, A Comprehensive Russian Grammar (3rd ed. 2011): нет, "
           "нельзя, без, the negative pronouns and adverbs in ни-, отнюдь",
        "не ни нет нельзя без отнюдь",
        prefixes="никто никог никому ником никем ничто ничег ничему ничем ничей ничь никак никогда нигде никуда "
                 "ниоткуда нисколько"),
    "bg": _lex(
        1, "UD_Bulgarian-BTB 2.17 (dev, test): не, нито, никой, никога, никакъв, нищо; Scatton, A Reference Grammar "
           "of Modern Bulgarian (1984): ни, няма, никъде, без",
        "не ни нито няма нищо никога никъде никак без",
        prefixes="никой никог никому никоя никое никои никакъв никакв"),
    "el": _lex(
        1, "UD_Greek-GUD 2.17 (train, test; GDT marks no Polarity): δεν, δε, μην, μη, όχι, τίποτα, κανείς, ποτέ, "
           "πουθενά, καθόλου; Holton, Mackridge & Philippaki-Warburton, Greek: A Comprehensive Grammar (1997): "
           "ούτε, μήτε, χωρίς",
        "δεν δε μην μη όχι ούτε μήτε τίποτα τίποτε τίποτ' κανείς κανένας κανένα κανενός κανέναν καμία καμιά "
        "καμίας καμιάς ποτέ πουθενά καθόλου χωρίς"),
    "ar": _lex(
        1, "UD_Arabic-PUD 2.16: لا، لم، لن، ليس، غير، ما (PADT's files are too large to fetch here); Ryding, A "
           "Reference Grammar of Modern Standard Arabic (2005), negation: the forms of ليس, بلا، بدون، دون، كلا، "
           "and the proclitics wa-, fa-, bi-, 'a- written onto them (ولا، فلم، بغير، ألا)",
        "لا لم لن ما غير ليس ليست ليسوا لست لسنا ليسا ليستا لستم لستن لسن بلا بدون دون كلا",
        clitics="وفبأ"),
    "hi": _lex(
        1, "UD_Hindi-PUD 2.17: नहीं, न, बिना, बगैर, डोंट, डिडन्ट (HDTB's files are too large to fetch here); Kachru, "
           "Hindi (2006), negation: मत, ना",
        "नहीं नहीँ न ना मत बिना बगैर बग़ैर डोंट डिडन्ट"),
    "ur": _lex(
        1, "UD_Urdu-UDTB 2.16 (dev, test): نہیں، نہ، بغیر، عدم; Schmidt, Urdu: An Essential Grammar (1999): مت، بنا",
        "نہیں نہ بغیر عدم مت بنا"),
    "sw": _lex(
        1, "Ashton, Swahili Grammar (1944), and Mohammed, Modern Swahili Grammar (2001): negative subject prefixes "
           "si-, hu-, ha- (hatu-, ham-, hawa-, hai-, hau-, ...), the subjunctive and infinitive negatives -si- and "
           "kuto-, the conditional -sipo-, and si, siyo, hapana, hakuna, wala, bila; checked against the "
           "unreleased UD_Swahili-OPUSGV (dev branch), whose Polarity=Neg verbs all start with ha-, si- or kuto- "
           "or contain -sipo-. On XNLI's Swahili dev text these rules protect 6.8% of words (kutoka, huko, "
           "habari... are over-protected)",
        "si siyo sio hapana hakuna wala bila",
        prefixes="si ha hu kuto usi asi tusi msi wasi isi lisi yasi kisi visi zisi kusi pasi musi nisi",
        infixes="sipo"),
    "tr": _lex(
        1, "UD_Turkish-IMST 2.16 (train, dev, test): değil and the negative verb forms, whose marker -mA- (-ma/-me, "
           "-m- before -(I)yor, -mAz in the aorist, -mAksIzIn) the affixes below find in 100% of IMST's 1,246 "
           "Polarity=Neg tokens while also matching 2.4% of the other tokens; Göksel & Kerslake, Turkish: A "
           "Comprehensive Grammar (2005), negation: yok, hiç, hiçbir, asla, hayır, ne ... ne",
        "yok hiç hiçbir hiçbiri hiçkimse asla hayır ne",
        prefixes="değil",
        suffixes="ma me",
        infixes="mıyor miyor muyor müyor maz mez madı medi mamı memi maya meye mada mede mama meme masın mesin mayı "
                "meyi mam mem maksızın meksizin masa mese"),
    "vi": _lex(
        1, "Thompson, A Vietnamese Grammar (1965): không, chẳng, chả, chưa, đừng, chớ; the Sino-Vietnamese negative "
           "morphemes bất, vô, phi, written as syllables of their own (UD_Vietnamese-VTB 2.17 marks no Polarity)",
        "không chẳng chả chưa đừng chớ bất vô phi"),
    "ko": _lex(
        1, "Sohn, The Korean Language (1999), negation: short forms 안, 못; long forms -지 않다, -지 못하다, "
           "-지 말다 (말라, 마라, 마세요, 말고); 아니다, 없다, 모르다 (UD_Korean-Kaist 2.16 and -GSD 2.17 mark no "
           "Polarity)",
        "안 못 아뇨 아니요 아니오",
        infixes="않 아니 아닌 아냐 없 못하 못했 모르 모른 몰라 몰랐 말라 마라 마세요 말고 말아 말자"),
    "zh": _lex(
        1, "UD_Chinese-GSDSimp 2.16 (dev, test): 不, 没有, 未, 没 and the words made with them (不会, 不得, 未能, "
           "不愿, 不是, 不可, 不够, 不如, 不应, 不肯, 没法...); Li & Thompson, Mandarin Chinese: A Functional "
           "Reference Grammar (1981), ch. 12: 别, and the literary 无, 非, 否, 勿, 莫, 毋, 甭; common compounds "
           "(不要, 不用, 不能, 不再, 从未, 从不, 并不, 并没有, 无法, 毫无, 绝不); traditional forms",
        "不 没 没有 未 无 非 否 别 勿 莫 毋 甭 不会 不得 不断 不愿 不顾 不是 不分 不可 不止 不够 不理 不合 不如 不变 "
        "不料 不应 不肯 没法 没落 未能 未获 未曾 未必 不要 不用 不能 不再 不必 不曾 从未 从不 并不 并非 并没有 无法 "
        "无须 毫无 绝不 决不 沒 沒有 無 別 並不 並非 從未 從不 無法"),
    "ja": _lex(
        1, "UD_Japanese-GSD 2.18 (dev, test): ない, なかっ, なく, なけれ, ず, ざる, なし, ナシ, 不, 未, 無 (ん is left "
           "out: as a syllable it is everywhere); Kaiser, Ichikawa, Kobayashi & Yamamoto, Japanese: A Comprehensive "
           "Grammar (2nd ed. 2013), negation: ません, ぬ, まい, 無い, 非",
        "ない なかっ なく なけれ ません ず ぬ ざる まい なし ナシ 無い 不 未 無 非"),
    "th": _lex(
        1, "UD_Thai-PUD 2.17: ไม่, มิ; Iwasaki & Ingkaphirom, A Reference Grammar of Thai (2005), negation: "
           "ไม่ได้, ไม่ใช่, ไม่มี, ไม่เคย, มิได้, อย่า, ห้าม, ไร้, ปราศจาก",
        "ไม่ มิ ไม่ได้ ไม่ใช่ ไม่มี ไม่เคย ไม่ค่อย มิได้ มิใช่ หามิได้ อย่า ห้าม ไร้ ปราศจาก"),
}

# Arabic short vowels and other signs that may or may not be written (لَمْ = لم), and the tatweel.
_ARABIC_SIGNS = re.compile("[\u064b-\u065f\u0670\u0640]")
_WORD_CHARS = "'’"  # apostrophes inside a word: don't, n'est


def lexicon(language: str) -> Lexicon:
    """The language's negation lexicon, or a UserError naming the languages that have one."""
    try:
        return LEXICONS[language]
    except KeyError:
        raise UserError(f"no negation list for language {language!r} (attacks keep negation intact and need "
                        f"one; known: {', '.join(sorted(LEXICONS))})") from None


def version(language: str) -> int:
    """The version of the language's list: part of the key of every perturb cell in that language."""
    return lexicon(language).version


def fold(word: str, language: str) -> str:
    """The form a word is compared in: NFC, lower case (Turkish dotted and dotless i kept apart), no Arabic vowels."""
    word = unicodedata.normalize("NFC", word)
    if language == "tr":
        word = word.replace("I", "ı").replace("İ", "i")
    word = word.lower()
    return _ARABIC_SIGNS.sub("", word) if language in ("ar", "ur") else word


def words_with_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word: a run of letters, marks and digits, with apostrophes inside it."""
    spans, start = [], None
    for i, char in enumerate(text + " "):
        inside = unicodedata.category(char)[0] in "LMN" or (char in _WORD_CHARS and start is not None)
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            end = i
            while end > start and text[end - 1] in _WORD_CHARS:
                end -= 1
            spans.append((start, end))
            start = None
    return spans


# An attack checks thousands of candidate texts that share most of their words (and often a whole field), so
# the per-word verdicts and per-text markers are memoised: without this the negation check was most of the
# character attacks' time (bench/attacks.py). The lexicons are constants, so a cached answer never goes stale.
@lru_cache(maxsize=1 << 16)
def is_negation_word(word: str, language: str) -> bool:
    """Whether one word of a spaced script carries negation (listed, or with a listed affix)."""
    lex = lexicon(language)
    word = fold(word, language)
    candidates = [word] + ([word[1:]] if lex.clitics and len(word) > 1 and word[0] in lex.clitics else [])
    return any(
        w in lex.words
        or (lex.prefixes and w.startswith(lex.prefixes))
        or (lex.suffixes and w.endswith(lex.suffixes))
        or any(i in w for i in lex.infixes)
        for w in candidates)


@lru_cache(maxsize=None)
def _unspaced_pattern(language: str) -> re.Pattern:
    lex = lexicon(language)
    forms = sorted(lex.words | set(lex.infixes), key=lambda f: (-len(f), f))  # longest first: 没有 before 没
    return re.compile("|".join(re.escape(f) for f in forms))


def spans(text: str, language: str) -> list[tuple[int, int]]:
    """(start, end) of every stretch of `text` that carries negation: negation words, or in unspaced
    scripts every match of a listed form. The characters inside them are what no attack may edit."""
    if language in UNSPACED:
        return [m.span() for m in _unspaced_pattern(language).finditer(text)]
    return [(a, b) for a, b in words_with_offsets(text) if is_negation_word(text[a:b], language)]


def markers(text: str, language: str) -> list[str]:
    """The negation in `text`, in order (folded): a perturbation keeps the negation iff it keeps this list."""
    return list(_markers(text, language))


@lru_cache(maxsize=1 << 14)
def _markers(text: str, language: str) -> tuple[str, ...]:
    if language in UNSPACED:
        return tuple(_unspaced_pattern(language).findall(unicodedata.normalize("NFC", text)))
    return tuple(fold(text[a:b], language) for a, b in spans(text, language))


def protects(word: str, language: str) -> bool:
    """Whether an attack must leave this word alone (TextAttack's word: may hold several of ours)."""
    return bool(spans(word, language))
