"""Import TextAttack 0.3.11 with no network and no flair, and let its word splitter read every script.

TextAttack is installed without its dependencies (its flair pin needs transformers<5), so four things
must be in place before its first import (docs/dependencies.md has the measurements):

1. flair is imported at module level; a stand-in is enough because no part-of-speech or NER
   constraint is used here;
2. importing textattack builds an English `StopwordModification()`, which reads NLTK's stop-word
   file; our builders pass their own per-language lists, so any English list on disk will do;
3. the first import calls `nltk.download` six times unless the marker file `post_install_check_3`
   is in `$TA_CACHE_DIR`; setting that variable makes textattack overwrite HF_HOME and other cache
   variables, which we put back afterwards;
4. `WordSwapHomoglyphSwap` reads a file the wheel lacks: our homoglyph attack uses its own table.

TextAttack splits words with `\\w`, which in Python's `re` excludes combining marks: Devanagari and
Thai vowel signs cut words apart ("हिंदी" -> "ह", "द"). `words_from_text` is replaced by the same
function written with the `regex` module, whose `\\w` includes marks; on text without combining
marks (all Latin text in NFC) it returns exactly what TextAttack's returns.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import types
from pathlib import Path

import regex

_OVERWRITTEN = ("HF_HOME", "XDG_CACHE_HOME", "PYTORCH_TRANSFORMERS_CACHE", "TFHUB_CACHE_DIR")


def load():
    """The `textattack` module, imported offline (once per process) with the multilingual word splitter."""
    if "textattack" not in sys.modules:
        cache = _writable_cache()
        _stand_in_for_flair()
        _english_stopwords_for_nltk(cache / "nltk_data")
        saved = {name: os.environ.get(name) for name in (*_OVERWRITTEN, "TA_CACHE_DIR")}
        ta_cache = Path(os.environ.setdefault("TA_CACHE_DIR", str(cache / "textattack")))
        ta_cache.mkdir(parents=True, exist_ok=True)
        (ta_cache / "post_install_check_3").touch()
        # textattack's import runs logging.config.dictConfig, which disables every logger made before it.
        loggers = {name: lg.disabled for name, lg in logging.Logger.manager.loggerDict.items()
                   if isinstance(lg, logging.Logger)}
        try:
            import textattack  # noqa: F401
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            for name, disabled in loggers.items():
                logging.getLogger(name).disabled = disabled
    import jieba
    import textattack

    # textattack logs "Goal function ... compatible with model" at INFO for every attack it builds.
    logging.getLogger("textattack.shared.utils.install").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" lines on stderr
    _use_multilingual_word_splitter()
    return textattack


def _writable_cache() -> Path:
    """$XDG_CACHE_HOME/xstore (~/.cache/xstore), or a folder under the temporary directory if that is read-only."""
    import tempfile

    for cache in (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xstore",
                  Path(tempfile.gettempdir()) / f"xstore-cache-{os.getuid()}"):
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(cache, os.W_OK):
            return cache
    raise OSError("no writable folder for textattack's cache marker and stop-word file")


def _stand_in_for_flair() -> None:
    if importlib.util.find_spec("flair") is not None:
        return
    flair = types.ModuleType("flair")
    data = types.ModuleType("flair.data")
    models = types.ModuleType("flair.models")

    class Tokenizer:  # subclassed by textattack's TextAttackFlairTokenizer, never used here
        pass

    class Sentence:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("flair is not installed: part-of-speech and NER constraints are unavailable")

    class SequenceTagger:
        @staticmethod
        def load(*args, **kwargs):
            raise RuntimeError("flair is not installed: part-of-speech and NER constraints are unavailable")

    data.Tokenizer, data.Sentence, models.SequenceTagger = Tokenizer, Sentence, SequenceTagger
    flair.data, flair.models, flair.device = data, models, None
    sys.modules.update({"flair": flair, "flair.data": data, "flair.models": models})


def _english_stopwords_for_nltk(nltk_data: Path) -> None:
    import nltk

    try:
        nltk.data.find("corpora/stopwords/english")
        return
    except LookupError:
        pass
    import stopwordsiso

    target = nltk_data / "corpora" / "stopwords" / "english"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"english.tmp-{os.getpid()}")
        tmp.write_text("\n".join(sorted(stopwordsiso.stopwords("en"))) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    if str(nltk_data) not in nltk.data.path:
        nltk.data.path.append(str(nltk_data))


# TextAttack's pattern: word characters, the homoglyphs of its own homoglyph swap, and '-_*@ inside words.
_HOMOS = """˗৭Ȣ𝟕бƼᏎƷᒿlO`ɑЬϲԁе𝚏ɡհіϳ𝒌ⅼｍոорԛⲅѕ𝚝սѵԝ×уᴢ"""
_EXCEPTIONS = """'-_*@"""
_WORD = regex.compile(f"[\\w{_HOMOS}'\\-_\\*@]+")


def words_from_text(s, words_to_ignore=[]):  # noqa: B006 - TextAttack's signature, never mutated
    """TextAttack's `words_from_text` (0.3.11), with a `\\w` that keeps combining marks inside words."""
    import jieba

    try:
        if re.search("[\u4e00-\u9fff]", s):
            s = " ".join(jieba.cut(s, cut_all=False))
        else:
            s = " ".join(s.split())
    except Exception:
        s = " ".join(s.split())
    words = []
    for word in s.split():
        word = word.strip(_EXCEPTIONS)
        words.extend(w.strip(_EXCEPTIONS) for w in _WORD.findall(word))
    return [w for w in words if w not in words_to_ignore + [""]]


def _use_multilingual_word_splitter() -> None:
    import textattack.shared.attacked_text as attacked_text
    import textattack.shared.utils as utils
    import textattack.shared.utils.strings as strings

    for module in (attacked_text, utils, strings):
        module.words_from_text = words_from_text
