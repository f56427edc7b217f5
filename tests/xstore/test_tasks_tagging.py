"""The tagging entries (xstore/tasks/tagging.py): CCG, UD POS and PAN-X local layouts, tag sets, hub mapping, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conftest import offline_hub_message
from xstore.errors import UserError
from xstore.tasks import TASKS, sources
from xstore.tasks.tagging import tag_set

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"
UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X")
PANX = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
CCG_TAGS = ("N", "NP", "NP[nb]/N", "S[dcl]\\NP", "(S[dcl]\\NP)/NP", ".")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _tags(entry, rows, labels=None) -> list[list[str]]:
    labels = labels or entry.labels
    return [[labels[t] for t in row["fields"]["tags"]] for row in rows]


def test_catalogue_holds_the_tagging_entries():
    udpos, panx, ccg = TASKS["udpos"], TASKS["panx"], TASKS["ccg"]
    assert (udpos.labels, panx.labels, ccg.labels) == (UPOS, PANX, ())
    assert (udpos.role, panx.role, ccg.role) == ("target", "target", "intermediate")
    assert {e.head for e in (udpos, panx, ccg)} == {"tagging"} and {e.version for e in (udpos, panx, ccg)} == {1}
    assert len(udpos.splits["test"]) == 33 and {"ja", "kk", "yo", "zh"} <= set(udpos.splits["test"])
    assert len(panx.splits["test"]) == 40 and {"my", "jv", "ka", "sw"} <= set(panx.splits["test"])
    for entry in (udpos, panx):
        assert entry.splits["train"] == entry.splits["dev"] == ("en",)
        assert entry.hub.startswith("google/xtreme") and "{split}-{lang}.tsv" in entry.layout
        assert entry.train_defaults == {"epochs": 10.0}
    assert ccg.splits == {"train": ("en",), "dev": ("en",)} and ccg.hub == ""


# --- CCG ----------------------------------------------------------------------------------------------

def test_ccg_reads_words_and_supertags_through_tags_txt():
    entry, folder = TASKS["ccg"], FIXTURES / "ccg"
    loaded = entry.read("train", "en", folder)
    assert [r["text_a"] for r in loaded.rows] == ["The cat sleeps .", "Dogs chase cats"]
    assert [r["idx"] for r in loaded.rows] == [0, 1]
    assert loaded.rows[0]["fields"] == {"tokens": ["The", "cat", "sleeps", "."], "tags": [2, 0, 3, 5]}
    assert _tags(entry, loaded.rows, CCG_TAGS)[1] == ["N", "(S[dcl]\\NP)/NP", "N"]
    assert all(r["text_b"] is None and r["label"] == -1 for r in loaded.rows)
    files = [folder / "train.tsv", folder / "tags.txt"]  # the tag file fixes what each index means
    assert loaded.origin == "local" and loaded.location == ", ".join(map(str, files))
    assert loaded.fingerprint == sources.fingerprint(files)
    assert entry.read("dev", "en", folder).rows[0]["fields"]["tags"] == [1, 3, 5]


def test_tag_set_gives_ccg_tags_from_the_data_and_labels_otherwise():
    assert tag_set(TASKS["ccg"], FIXTURES / "ccg") == CCG_TAGS
    assert tag_set(TASKS["udpos"], None) == UPOS and len(tag_set(TASKS["panx"], None)) == 7


def test_ccg_without_a_data_folder_explains_the_licence():
    for call in (lambda: TASKS["ccg"].read("train", "en"), lambda: tag_set(TASKS["ccg"], None)):
        with pytest.raises(UserError) as caught:
            call()
        message = str(caught.value)
        assert "CCGbank is licensed" in message and "LDC2005T13" in message
        assert '[data] "ccg" = "path/to/folder"' in message and "tags.txt" in message


@pytest.mark.parametrize("files, needle", [
    ({"train.tsv": "The\tNP[nb]/N\ncat\tXX\n"}, "supertag 'XX' is not in"),
    ({"train.tsv": "The\tNP[nb]/N\ncat\n"}, "a word without a tag"),
    ({"train.tsv": "The\tNP[nb]/N\ncat\tN\tN\n"}, "3 tab-separated fields"),
    ({"train.tsv": "The\tNP[nb]/N\n\t.\n"}, "empty word"),
])
def test_ccg_bad_lines_name_file_and_line(tmp_path, files, needle):
    _write(tmp_path, "tags.txt", "\n".join(CCG_TAGS) + "\n")
    for name, text in files.items():
        _write(tmp_path, name, text)
    with pytest.raises(UserError) as caught:
        TASKS["ccg"].read("train", "en", tmp_path)
    assert f"{tmp_path / 'train.tsv'} line 2" in str(caught.value) and needle in str(caught.value)


def test_ccg_tags_txt_is_checked(tmp_path):
    _write(tmp_path, "train.tsv", "a\tN\n")
    with pytest.raises(UserError, match="layout: train.tsv and dev.tsv"):
        TASKS["ccg"].read("train", "en", tmp_path)  # no tags.txt: the layout is in the message
    _write(tmp_path, "tags.txt", "N\nNP\nN\n")
    with pytest.raises(UserError, match=r"tags.txt line 3: tag 'N' listed twice \(first on line 1\)"):
        tag_set(TASKS["ccg"], tmp_path)
    _write(tmp_path, "tags.txt", "\n\n")
    with pytest.raises(UserError, match="lists no tags"):
        tag_set(TASKS["ccg"], tmp_path)


# --- UD POS and PAN-X -----------------------------------------------------------------------------------

@pytest.mark.parametrize("split, language, texts, tags", [
    ("train", "en", ["The cat sleeps .", "Dogs bark"], [["DET", "NOUN", "VERB", "PUNCT"], ["NOUN", "VERB"]]),
    ("dev", "en", ["Birds sing"], [["NOUN", "VERB"]]),
    ("test", "ja", ["猫 が 寝る 。", "犬"], [["NOUN", "ADP", "VERB", "PUNCT"], ["NOUN"]]),
    ("test", "ar", ["القط ينام"], [["NOUN", "VERB"]]),  # from the udpos/ sub-folder (XTREME's download/)
])
def test_udpos_reads_the_xtreme_layout(split, language, texts, tags):
    loaded = TASKS["udpos"].read(split, language, FIXTURES / "udpos")
    assert [r["text_a"] for r in loaded.rows] == texts
    assert _tags(TASKS["udpos"], loaded.rows) == tags
    assert [r["idx"] for r in loaded.rows] == list(range(len(texts)))
    assert all(r["fields"]["tokens"] == r["text_a"].split(" ") for r in loaded.rows)
    assert loaded.origin == "local" and loaded.fingerprint == sources.fingerprint([Path(loaded.location)])


def test_panx_reads_processed_and_raw_files():
    entry, folder = TASKS["panx"], FIXTURES / "panx"
    train = entry.read("train", "en", folder)
    assert _tags(entry, train.rows) == [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG"]]
    raw = entry.read("test", "zh", folder)  # zh-test: words written "zh:<word>", the prefix is stripped
    assert raw.location == str(folder / "zh-test")
    assert [r["fields"]["tokens"] for r in raw.rows] == [["北京", "大学"], ["李", "明", "在"]]
    assert _tags(entry, raw.rows) == [["B-LOC", "I-LOC"], ["B-PER", "I-PER", "O"]]
    processed = entry.read("test", "ru", folder)
    assert processed.rows[0]["text_a"] == "Москва и Газпром"
    assert _tags(entry, processed.rows) == [["B-LOC", "O", "B-ORG"]]


def test_panx_test_prefers_the_labelled_raw_file(tmp_path):
    _write(tmp_path, "panx/test-de.tsv", "Berlin\n")  # XTREME's processed test file: words only
    _write(tmp_path, "panx_dataset/de-test", "de:Berlin\tB-LOC\nde:de:x\tO\n")
    loaded = TASKS["panx"].read("test", "de", tmp_path)
    assert loaded.location == str(tmp_path / "panx_dataset" / "de-test")
    assert loaded.rows[0]["fields"] == {"tokens": ["Berlin", "de:x"], "tags": [5, 0]}  # one prefix stripped


def test_test_file_without_tags_says_xtreme_dropped_them(tmp_path):
    path = _write(tmp_path, "test-ja.tsv", "猫\n犬\n")
    with pytest.raises(UserError) as caught:
        TASKS["udpos"].read("test", "ja", tmp_path)
    message = str(caught.value)
    assert f"{path} line 1" in message and "a word without a tag" in message
    assert "download_data.sh writes test files without tags" in message and "google/xtreme" in message


def test_gzipped_files_are_read(tmp_path):
    with gzip.open(tmp_path / "dev-en.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("Rome\tB-LOC\n\nis\tO\n")
    loaded = TASKS["panx"].read("dev", "en", tmp_path)
    assert [r["fields"]["tags"] for r in loaded.rows] == [[5], [0]]


def test_unknown_tag_and_missing_file(tmp_path):
    path = _write(tmp_path, "train-en.tsv", "The\tDET\n\ncat\tNOUNS\n")
    with pytest.raises(UserError) as caught:
        TASKS["udpos"].read("train", "en", tmp_path)
    assert f"{path} line 3" in str(caught.value) and "unknown label 'NOUNS'" in str(caught.value)
    with pytest.raises(UserError) as caught:
        TASKS["udpos"].read("test", "de", tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "test-de.tsv") in message and TASKS["udpos"].layout in message


def test_unknown_language_is_refused_before_reading(tmp_path):
    with pytest.raises(UserError, match="no 'test' split in language 'xx'"):
        TASKS["panx"].read("test", "xx", tmp_path)
    with pytest.raises(UserError, match="no 'dev' split in language 'de'"):
        TASKS["udpos"].read("dev", "de", tmp_path)


# --- the hub ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, split, language", [("udpos", "train", "en"), ("panx", "test", "sw")])
def test_offline_hub_is_one_clear_error(monkeypatch, tmp_path, name, split, language):
    message = offline_hub_message(monkeypatch, tmp_path, name, split, language)
    assert "google/xtreme" in message


def _fake_hub(monkeypatch, tag_column: str, names: tuple[str, ...], tokens, tags) -> list:
    datasets = pytest.importorskip("datasets")
    calls = []
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  tag_column: datasets.Sequence(datasets.ClassLabel(names=list(names)))})

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split))
        return datasets.Dataset.from_dict({"tokens": tokens, tag_column: tags}, features=features)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_udpos_hub_maps_class_label_names_and_language_configs(monkeypatch):
    # A hub ClassLabel in another order than ours: tags are mapped by name, not by index.
    hub_names = tuple(reversed(UPOS))
    calls = _fake_hub(monkeypatch, "pos_tags", hub_names, [["猫", "が"], ["走る"]],
                      [[hub_names.index("NOUN"), hub_names.index("ADP")], [hub_names.index("VERB")]])
    loaded = TASKS["udpos"].read("test", "ja")
    assert calls == [("google/xtreme", "udpos.Japanese", "test")]
    assert _tags(TASKS["udpos"], loaded.rows) == [["NOUN", "ADP"], ["VERB"]]
    assert [(r["idx"], r["text_a"]) for r in loaded.rows] == [(0, "猫 が"), (1, "走る")]
    assert loaded.origin == "hub" and loaded.location == "google/xtreme (udpos.Japanese) split test"


def test_panx_hub_reads_dev_as_validation(monkeypatch):
    calls = _fake_hub(monkeypatch, "ner_tags", PANX, [["Paris", "Hilton"]], [[1, 2]])
    loaded = TASKS["panx"].read("dev", "en")
    assert calls == [("google/xtreme", "PAN-X.en", "validation")]
    assert loaded.rows[0]["fields"] == {"tokens": ["Paris", "Hilton"], "tags": [1, 2]}


def test_hub_rows_with_mismatched_lengths_are_refused(monkeypatch):
    _fake_hub(monkeypatch, "ner_tags", PANX, [["a", "b"]], [[0]])
    with pytest.raises(UserError, match="row 0: 2 tokens but 1 tags"):
        TASKS["panx"].read("train", "en")


def test_hub_missing_class_label_is_refused_not_wrapped(monkeypatch):
    _fake_hub(monkeypatch, "ner_tags", PANX, [["a", "b"]], [[0, -1]])  # -1: ClassLabel's "no label"
    with pytest.raises(UserError, match="row 0: unknown label -1"):
        TASKS["panx"].read("test", "de")
