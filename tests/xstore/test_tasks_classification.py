"""The classification entries (xstore/tasks/classification.py): local layouts, real XTREME dev files, hub mapping, errors."""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import offline_hub_message, real_data
from xstore.errors import UserError
from xstore.tasks import TASKS, sources

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"
XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
NLI = ("entailment", "neutral", "contradiction")


def test_catalogue_holds_the_classification_entries():
    expected = {  # name: (role, labels, splits)
        "anli": ("intermediate", NLI, {"train": ("en",), "dev": ("en",)}),  # ANLI+, the paper's
        "anlionly": ("intermediate", NLI, {"train": ("en",), "dev": ("en",)}),
        "mnli": ("intermediate", NLI, {"train": ("en",), "dev": ("en",)}),
        "qqp": ("intermediate", ("not_duplicate", "duplicate"), {"train": ("en",), "dev": ("en",)}),
        "sst2": ("intermediate", ("negative", "positive"), {"train": ("en",), "dev": ("en",)}),
        "xnli": ("target", NLI, {"train": ("en",), "dev": XNLI_LANGUAGES, "test": XNLI_LANGUAGES}),
        "pawsx": ("target", ("not_paraphrase", "paraphrase"),
                  {"train": ("en",), "dev": PAWSX_LANGUAGES, "test": PAWSX_LANGUAGES}),
    }
    for name, (role, labels, splits) in expected.items():
        entry = TASKS[name]
        assert (entry.head, entry.role, entry.labels, entry.splits, entry.version) == (
            "classification", role, labels, splits, 1), name
        assert entry.hub and entry.layout and entry.source, name
    assert TASKS["sst2"].text_fields == ("sentence",)
    assert "ANLI+" in TASKS["anli"].source and "stanfordnlp/snli" in TASKS["anli"].hub


@pytest.mark.parametrize("split, language, labels, first", [
    ("train", "en", [0, 2, 1, 0], ("A man plays a guitar on stage.", "A man is performing music.")),
    ("dev", "ar", [2, 0, 1], ("تأخر القطار.", "وصل القطار في الموعد.")),
    ("dev", "zh", [2, 0, 1], ("火车晚点了。", "火车准时到达。")),
    ("test", "de", [2, 0, 1], ("Der Zug hatte Verspätung.", "Der Zug kam pünktlich.")),
])
def test_xnli_reads_the_xtreme_layout(split, language, labels, first):
    loaded = TASKS["xnli"].read(split, language, FIXTURES / "xnli")
    assert [r["label"] for r in loaded.rows] == labels
    assert [r["idx"] for r in loaded.rows] == list(range(len(labels)))
    assert (loaded.rows[0]["text_a"], loaded.rows[0]["text_b"]) == first
    assert all(r["fields"] is None for r in loaded.rows)
    path = FIXTURES / "xnli" / f"{split}-{language}.tsv"
    assert (loaded.origin, loaded.location, loaded.revision) == ("local", str(path), "")
    assert loaded.fingerprint == sources.fingerprint([path])


def test_xtreme_csv_quoting_is_decoded():
    # XTREME writes its TSVs with csv.writer: a sentence holding quotes is wrapped and its quotes doubled.
    row = TASKS["xnli"].read("train", "en", FIXTURES / "xnli").rows[1]
    assert row["text_a"] == 'She said "no" twice.'
    pawsx = TASKS["pawsx"].read("train", "en", FIXTURES / "pawsx").rows[2]
    assert pawsx["text_a"] == 'The film , called "Night" , opened in 1990 .'
    assert pawsx["text_b"] == 'The film "Night" opened in 1990 .'


@pytest.mark.parametrize("split, language, labels", [
    ("train", "en", [1, 0, 1]), ("dev", "en", [1, 0, 1]), ("dev", "ja", [1, 0, 1]),
    ("dev", "ko", [1, 0, 1]), ("test", "fr", [1, 0, 1]),
])
def test_pawsx_reads_the_xtreme_layout(split, language, labels):
    rows = TASKS["pawsx"].read(split, language, FIXTURES / "pawsx").rows
    assert [r["label"] for r in rows] == labels
    assert [r["idx"] for r in rows] == [0, 1, 2]
    assert all(r["text_a"].strip() and r["text_b"].strip() and r["fields"] is None for r in rows)
    if language == "ko":
        assert rows[1]["text_a"] == "그는 베를린에서 로마로 이사했다."


def test_gzipped_files_read_the_same(tmp_path):
    for name in ("dev-ar.tsv", "train-en.tsv"):
        with open(FIXTURES / "xnli" / name, "rb") as src, gzip.open(tmp_path / f"{name}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    plain = TASKS["xnli"].read("dev", "ar", FIXTURES / "xnli")
    packed = TASKS["xnli"].read("dev", "ar", tmp_path)
    assert packed.rows == plain.rows
    assert packed.location == str(tmp_path / "dev-ar.tsv.gz")


@pytest.mark.parametrize("language", XNLI_LANGUAGES)
def test_real_xnli_dev(language):
    loaded = TASKS["xnli"].read("dev", language, real_data("xnli"))
    assert len(loaded.rows) == 2490
    assert Counter(r["label"] for r in loaded.rows) == {0: 830, 1: 830, 2: 830}
    assert [r["idx"] for r in loaded.rows] == list(range(2490))
    # XNLI dev is parallel: row i has the same label in every language (three hypotheses per premise).
    english = TASKS["xnli"].read("dev", "en", real_data("xnli")).rows
    assert [r["label"] for r in loaded.rows] == [r["label"] for r in english]


def test_real_pawsx_dev():
    positives = {"de": 831, "en": 863, "es": 847, "fr": 860, "ja": 854, "ko": 840, "zh": 853}  # MANIFEST.json
    for language in PAWSX_LANGUAGES:
        rows = TASKS["pawsx"].read("dev", language, real_data("pawsx")).rows
        assert len(rows) == 2000, language
        assert sum(r["label"] for r in rows) == positives[language], language


def test_real_sst2_dev_with_text_header():
    rows = TASKS["sst2"].read("dev", "en", real_data("sst2")).rows
    assert len(rows) == 872 and Counter(r["label"] for r in rows) == {0: 428, 1: 444}
    assert all(r["text_b"] is None for r in rows)


def test_mnli_reads_glue_columns_by_name_and_skips_unlabelled_pairs():
    train = TASKS["mnli"].read("train", "en", FIXTURES / "mnli").rows
    # Line 3 has gold_label "-": skipped, so idx has a gap where it was.
    assert [(r["idx"], r["label"]) for r in train] == [(0, 0), (1, 2), (3, 1)]
    assert train[0]["text_a"] == 'The cat sat on the "mat".'  # GLUE quotes are literal
    dev = TASKS["mnli"].read("dev", "en", FIXTURES / "mnli").rows  # dev_matched.tsv, 16 columns
    assert [(r["text_b"], r["label"]) for r in dev] == [
        ("The door was shut.", 2), ("Someone opened the door.", 1), ("The door was not closed.", 0)]


def test_qqp_skips_pairs_with_an_empty_question():
    train = TASKS["qqp"].read("train", "en", FIXTURES / "qqp").rows
    assert [(r["idx"], r["label"]) for r in train] == [(0, 1), (2, 0)]
    dev = TASKS["qqp"].read("dev", "en", FIXTURES / "qqp").rows
    assert dev[0]["text_a"] == 'What is "AI"?' and [r["label"] for r in dev] == [1, 0, 1]


def test_sst2_accepts_sentence_and_text_headers():
    train = TASKS["sst2"].read("train", "en", FIXTURES / "sst2").rows  # header sentence<TAB>label
    dev = TASKS["sst2"].read("dev", "en", FIXTURES / "sst2").rows  # header text<TAB>label
    assert [r["label"] for r in train] == [1, 0, 1] and [r["label"] for r in dev] == [1, 0, 0]
    assert train[2]["text_a"].startswith('the "best" film')


def test_anlionly_lays_the_three_rounds_end_to_end():
    loaded = TASKS["anlionly"].read("train", "en", FIXTURES / "anlionly")
    assert [r["label"] for r in loaded.rows] == [0, 2, 0, 1, 2]  # e c | e | n c
    assert [r["idx"] for r in loaded.rows] == [0, 1, 2, 3, 4]
    assert loaded.rows[2]["text_a"] == "Mozart was born in 1756."
    files = [FIXTURES / "anlionly" / r / "train.jsonl" for r in ("R1", "R2", "R3")]
    assert loaded.location == "; ".join(map(str, files))
    assert loaded.fingerprint == sources.fingerprint(files)
    assert [r["label"] for r in TASKS["anlionly"].read("dev", "en", FIXTURES / "anlionly").rows] == [1, 2, 0]


def test_anli_is_anli_plus_mnli_plus_snli():
    rows = TASKS["anli"].read("train", "en", FIXTURES / "anli").rows
    # 5 ANLI pairs (idx 0-4), MNLI's 4 lines (idx 5-8, line "-" skipped), SNLI's 3 lines (idx 9-11, "-" skipped).
    assert [r["idx"] for r in rows] == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert [r["label"] for r in rows] == [0, 2, 0, 1, 2, 0, 2, 1, 0, 2]
    assert rows[-1]["text_b"] == "A boy sleeps in bed."
    dev = TASKS["anli"].read("dev", "en", FIXTURES / "anli").rows
    assert len(dev) == 3 + 3 + 2 and len({r["idx"] for r in dev}) == 8


@pytest.mark.parametrize("name, split, language, expected", [
    ("xnli", "dev", "fr", "dev-fr.tsv"),
    ("pawsx", "train", "en", "train-en.tsv"),
    ("mnli", "dev", "en", "dev_matched.tsv"),
    ("anlionly", "train", "en", "R1/train.jsonl"),
    ("anli", "dev", "en", "anli/R1/dev.jsonl"),
    ("sst2", "train", "en", "train.tsv"),
])
def test_missing_file_names_the_expected_layout(tmp_path, name, split, language, expected):
    with pytest.raises(UserError) as caught:
        TASKS[name].read(split, language, tmp_path)
    message = str(caught.value)
    assert f"task {name!r}" in message and expected in message and TASKS[name].layout in message


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, file, text, split, needle", [
    ("xnli", "dev-de.tsv", "Ein Satz.\tNoch einer.\tentailment\nEin Satz.\tDer dritte.\tmaybe\n", "dev",
     "line 2: unknown label 'maybe'"),
    ("xnli", "dev-de.tsv", "Ein Satz.\tentailment\n", "dev", "line 1 has 2 columns, expected 3"),
    ("xnli", "dev-de.tsv", "Ein Satz.\t \tneutral\n", "dev", "line 1: empty or missing hypothesis"),
    ("xnli", "test-de.tsv", "Ein Satz.\tNoch einer.\n", "test", "XTREME's download strips test labels"),
    ("pawsx", "dev-de.tsv", "Satz eins .\tSatz zwei .\t2\n", "dev", "line 1: unknown label '2'"),
    ("mnli", "dev_matched.tsv", "sentence1\tsentence2\tgold_label\nA.\tB.\tneutral\nA.\tB.\n", "dev",
     "line 3 has 2 columns, the header 3"),
    ("mnli", "dev_matched.tsv", "premise\thypothesis\tgold_label\nA.\tB.\tneutral\n", "dev",
     "the header has no column 'sentence1'"),
    ("sst2", "dev.tsv", "sentence\tlabel\ngood .\t1\nbad .\t-1\n", "dev", "line 3: unknown label '-1'"),
    ("anlionly", "R1/dev.jsonl", '{"context": "A.", "hypothesis": "B.", "label": "x"}\n', "dev",
     "line 1: unknown label 'x'"),
])
def test_bad_lines_name_file_and_line(tmp_path, name, file, text, split, needle):
    path = _write(tmp_path, file, text)
    language = "de" if name in ("xnli", "pawsx") else "en"
    with pytest.raises(UserError) as caught:
        TASKS[name].read(split, language, tmp_path)
    assert str(path) in str(caught.value) and needle in str(caught.value)


# --- the hub ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, split, language", [
    ("xnli", "dev", "sw"), ("pawsx", "train", "en"), ("mnli", "dev", "en"), ("qqp", "dev", "en"),
    ("sst2", "train", "en"), ("anlionly", "dev", "en"), ("anli", "dev", "en"),
])
def test_offline_hub_is_one_clear_error(monkeypatch, tmp_path, name, split, language):
    offline_hub_message(monkeypatch, tmp_path, name, split, language)


class _FakeHub:
    """Stands in for datasets.load_dataset: records each call, serves in-memory splits."""

    def __init__(self, datasets, splits: dict):
        self.datasets, self.splits, self.calls = datasets, splits, []

    def __call__(self, path, name=None, split=None, revision=None, **kwargs):
        self.calls.append((path, name, split))
        columns, labels = self.splits[(path, name, split)]
        features = self.datasets.Features({
            **{column: self.datasets.Value("string") for column in columns if column != "label"},
            "label": self.datasets.ClassLabel(names=list(labels)) if labels else self.datasets.Value("int64"),
        })
        return self.datasets.Dataset.from_dict(columns, features=features)


def _hub(monkeypatch, splits: dict) -> _FakeHub:
    datasets = pytest.importorskip("datasets")
    fake = _FakeHub(datasets, splits)
    monkeypatch.setattr(datasets, "load_dataset", fake)
    return fake


def test_xnli_hub_maps_dev_to_validation_in_the_language_config(monkeypatch):
    fake = _hub(monkeypatch, {("facebook/xnli", "hi", "validation"): (
        {"premise": ["प्रेमिस", "दूसरा"], "hypothesis": ["परिकल्पना", "तीसरा"], "label": [2, 0]}, NLI)})
    loaded = TASKS["xnli"].read("dev", "hi")
    assert fake.calls == [("facebook/xnli", "hi", "validation")]
    assert [(r["idx"], r["text_a"], r["label"]) for r in loaded.rows] == [(0, "प्रेमिस", 2), (1, "दूसरा", 0)]
    assert loaded.origin == "hub" and loaded.location == "facebook/xnli (hi) split validation"
    assert loaded.revision == ""  # an in-memory split has no cache path to read a commit from


def test_hub_revision_is_read_from_the_cache_path(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    commit = "0123456789abcdef0123456789abcdef01234567"
    (tmp_path / commit).mkdir()
    built = datasets.Dataset.from_dict({"sentence1": ["a b"], "sentence2": ["b a"], "label": [1]}).map(
        lambda row: row, cache_file_name=str(tmp_path / commit / "paws-x-validation.arrow"))
    monkeypatch.setattr(datasets, "load_dataset", lambda *args, **kwargs: built)
    loaded = TASKS["pawsx"].read("dev", "ko")
    assert loaded.revision == commit and loaded.fingerprint == built._fingerprint
    assert [r["label"] for r in loaded.rows] == [1]


def test_glue_hub_splits_and_qqp_empty_question(monkeypatch):
    fake = _hub(monkeypatch, {
        ("nyu-mll/glue", "mnli", "validation_matched"): ({"premise": ["p"], "hypothesis": ["h"], "label": [1]}, NLI),
        ("nyu-mll/glue", "qqp", "train"): (
            {"question1": ["q1", "q2", "q3"], "question2": ["r1", "", "r3"], "label": [1, 0, 0]},
            ("not_duplicate", "duplicate")),
        ("nyu-mll/glue", "sst2", "validation"): ({"sentence": ["fine ."], "label": [1]}, ("negative", "positive")),
    })
    assert [r["label"] for r in TASKS["mnli"].read("dev", "en").rows] == [1]
    assert [r["idx"] for r in TASKS["qqp"].read("train", "en").rows] == [0, 2]
    assert TASKS["sst2"].read("dev", "en").rows == [
        {"idx": 0, "text_a": "fine .", "text_b": None, "label": 1, "fields": None}]
    assert [call[2] for call in fake.calls] == ["validation_matched", "train", "validation"]


def test_anli_hub_reads_five_splits_and_skips_snli_unlabelled(monkeypatch):
    pair = {"premise": ["p", "q"], "hypothesis": ["h", "i"], "label": [0, 2]}
    splits = {("facebook/anli", None, f"train_r{r}"): (pair, NLI) for r in (1, 2, 3)}
    splits[("nyu-mll/glue", "mnli", "train")] = (pair, NLI)
    unlabelled_first = {"premise": ["p", "q"], "hypothesis": ["h", "i"], "label": [-1, 1]}
    splits[("stanfordnlp/snli", None, "train")] = (unlabelled_first, NLI)
    fake = _hub(monkeypatch, splits)
    loaded = TASKS["anli"].read("train", "en")
    assert [call[2] for call in fake.calls] == ["train_r1", "train_r2", "train_r3", "train", "train"]
    assert [r["idx"] for r in loaded.rows] == [0, 1, 2, 3, 4, 5, 6, 7, 9]
    assert loaded.location.count("split train") == 5


def test_reordered_hub_labels_are_refused(monkeypatch):
    _hub(monkeypatch, {("facebook/xnli", "en", "test"): (
        {"premise": ["p"], "hypothesis": ["h"], "label": [0]}, ("contradiction", "neutral", "entailment"))})
    with pytest.raises(UserError, match="labels are"):
        TASKS["xnli"].read("test", "en")
