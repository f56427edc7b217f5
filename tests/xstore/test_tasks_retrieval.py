"""The retrieval entries (xstore/tasks/retrieval.py): BUCC 2018 gold pairs and Tatoeba, hub mapping, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import offline_hub_message
from xstore.errors import UserError
from xstore.tasks import TASKS, sources

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"
TATOEBA = ("af", "ar", "bg", "bn", "de", "el", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu", "id", "it",
           "ja", "jv", "ka", "kk", "ko", "ml", "mr", "nl", "pt", "ru", "sw", "ta", "te", "th", "tl", "tr", "ur",
           "vi", "zh")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_catalogue_holds_the_retrieval_entries():
    bucc, tatoeba = TASKS["bucc2018"], TASKS["tatoeba"]
    assert bucc.splits == {"dev": ("de", "fr", "ru", "zh"), "test": ("de", "fr", "ru", "zh")}  # no train
    assert tatoeba.splits == {"test": TATOEBA}
    for entry in (bucc, tatoeba):
        assert (entry.head, entry.role, entry.version, entry.labels) == ("retrieval", "target", 1, ())
        assert entry.hub.startswith("google/xtreme") and entry.layout and entry.max_length == 512


def test_bucc_joins_gold_pairs_with_both_sentence_files():
    folder = FIXTURES / "bucc2018"
    loaded = TASKS["bucc2018"].read("dev", "de", folder)
    assert loaded.rows == [
        {"idx": 0, "text_a": "Der Hund bellt.", "text_b": "The dog barks.", "label": -1, "fields": None},
        {"idx": 1, "text_a": "Das Wetter ist schön.", "text_b": "The weather is nice.", "label": -1, "fields": None},
    ]  # the sentences outside the gold pairs are not rows
    files = [folder / f"de-en.dev.{ext}" for ext in ("de", "en", "gold")]
    assert loaded.origin == "local" and loaded.location == ", ".join(map(str, files))
    assert loaded.fingerprint == sources.fingerprint(files)


def test_bucc_reads_the_archives_own_names_for_test():
    # bucc2018-zh-en.training-gold.tar.bz2 unpacks to zh-en/zh-en.training.*; XTREME calls it test.
    loaded = TASKS["bucc2018"].read("test", "zh", FIXTURES / "bucc2018")
    assert [(r["text_a"], r["text_b"]) for r in loaded.rows] == [("今天很冷。", "It is cold today."),
                                                                   ("我爱你。", "I love you.")]
    assert "zh-en.training.gold" in loaded.location


def test_missing_bucc_test_gold_names_where_to_get_it(tmp_path):
    _write(tmp_path, "fr-en.test.fr", "fr-1\tBonjour.\n")
    _write(tmp_path, "fr-en.test.en", "en-1\tHello.\n")
    with pytest.raises(UserError) as caught:
        TASKS["bucc2018"].read("test", "fr", tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "fr-en.test.gold") in message and "training-gold.tar.bz2" in message


@pytest.mark.parametrize("files, bad, needle", [
    ({"ru-en.dev.ru": "ru-1 Привет.\n"}, "ru-en.dev.ru line 1", "expected id<TAB>sentence"),
    ({"ru-en.dev.ru": "ru-1\tПривет.\nru-1\tПока.\n"}, "ru-en.dev.ru line 2", "id 'ru-1' appears twice"),
    ({"ru-en.dev.gold": "ru-1\ten-1\nru-9\ten-1\n"}, "ru-en.dev.gold line 2", "id 'ru-9' is not in"),
    ({"ru-en.dev.gold": "ru-1\ten-7\n"}, "ru-en.dev.gold line 1", "id 'en-7' is not in"),
    ({"ru-en.dev.gold": "ru-1 en-1\n"}, "ru-en.dev.gold line 1", "expected ru-id<TAB>en-id"),
    ({"ru-en.dev.en": "en-1\tHello.\n\nen-2\tBye.\n"}, "ru-en.dev.en line 2", "blank line"),
])
def test_bucc_bad_lines_name_file_and_line(tmp_path, files, bad, needle):
    base = {"ru-en.dev.ru": "ru-1\tПривет.\n", "ru-en.dev.en": "en-1\tHello.\n", "ru-en.dev.gold": "ru-1\ten-1\n"}
    for name, text in {**base, **files}.items():
        _write(tmp_path, name, text)
    with pytest.raises(UserError) as caught:
        TASKS["bucc2018"].read("dev", "ru", tmp_path)
    assert str(tmp_path / bad) in str(caught.value) and needle in str(caught.value)


def test_tatoeba_pairs_line_i_with_line_i():
    folder = FIXTURES / "tatoeba"
    de = TASKS["tatoeba"].read("test", "de", folder)
    assert [(r["idx"], r["text_a"], r["text_b"]) for r in de.rows] == [
        (0, "Ich bin müde.", "I am tired."), (1, "Wo ist der Bahnhof?", "Where is the station?")]
    zh = TASKS["tatoeba"].read("test", "zh", folder)  # 3-letter code cmn, in LASER's v1/ folder
    assert [r["text_a"] for r in zh.rows] == ["我很累。", "车站在哪里？", "谢谢。"]
    assert zh.rows[2]["text_b"] == "Thank you." and all(r["fields"] is None for r in zh.rows)
    assert zh.location == f"{folder / 'v1' / 'tatoeba.cmn-eng.cmn'}, {folder / 'v1' / 'tatoeba.cmn-eng.eng'}"


def test_tatoeba_line_counts_must_match(tmp_path):
    _write(tmp_path, "tatoeba.pes-eng.pes", "سلام\nخداحافظ\n")
    _write(tmp_path, "tatoeba.pes-eng.eng", "Hello\n")
    with pytest.raises(UserError, match="has 2 lines but .* has 1"):
        TASKS["tatoeba"].read("test", "fa", tmp_path)
    with pytest.raises(UserError) as caught:
        TASKS["tatoeba"].read("test", "sw", tmp_path)  # Swahili is swh in XTREME's file names
    assert str(tmp_path / "tatoeba.swh-eng.swh") in str(caught.value) and TASKS["tatoeba"].layout in str(caught.value)


# --- the hub ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, split, language", [("bucc2018", "test", "ru"), ("tatoeba", "test", "kk")])
def test_offline_hub_is_one_clear_error(monkeypatch, tmp_path, name, split, language):
    message = offline_hub_message(monkeypatch, tmp_path, name, split, language)
    assert "google/xtreme" in message


def test_hub_configs_splits_and_newlines(monkeypatch):
    datasets = pytest.importorskip("datasets")
    calls = []

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split))
        # The hub's Tatoeba rows end in the file lines' newline.
        return datasets.Dataset.from_dict({"source_sentence": ["Сәлем\n", "Рақмет\n"],
                                           "target_sentence": ["Hello\n", "Thanks\n"],
                                           "source_lang": ["kaz", "kaz"], "target_lang": ["eng", "eng"]})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    loaded = TASKS["tatoeba"].read("test", "kk")
    assert [(r["idx"], r["text_a"], r["text_b"]) for r in loaded.rows] == [
        (0, "Сәлем", "Hello"), (1, "Рақмет", "Thanks")]
    TASKS["bucc2018"].read("dev", "fr")
    assert calls == [("google/xtreme", "tatoeba.kaz", "validation"), ("google/xtreme", "bucc18.fr", "validation")]
    assert loaded.origin == "hub" and loaded.location == "google/xtreme (tatoeba.kaz) split validation"
