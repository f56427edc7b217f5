"""The embedded demo data (xstore/demo/demo_*.jsonl): shape, sizes, balance, parallelism, and that
examples/make_demo_data.py reproduces it byte for byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "xstore" / "demo"
NLI = DEMO / "demo_nli.jsonl"
SENTIMENT = DEMO / "demo_sentiment.jsonl"
GENERATOR = ROOT / "examples" / "make_demo_data.py"

LANGS = {"en", "de", "fr", "es", "ru"}
NLI_LABELS = {"entailment", "neutral", "contradiction"}
SENTIMENT_LABELS = {"negative", "positive"}
NLI_KEYS = {"language", "split", "index", "premise", "hypothesis", "label"}
SENTIMENT_KEYS = {"language", "split", "index", "text", "label"}
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def nli() -> list[dict]:
    return load(NLI)


@pytest.fixture(scope="module")
def sentiment() -> list[dict]:
    return load(SENTIMENT)


def test_files_exist():
    for path in (NLI, SENTIMENT, GENERATOR):
        assert path.is_file(), path
    for path in (NLI, SENTIMENT):
        assert 0 < path.stat().st_size < 400_000, path


def _check_types(row: dict, keys: set, text_keys: tuple, labels: set) -> None:
    assert set(row) == keys, row
    assert isinstance(row["index"], int) and not isinstance(row["index"], bool), row
    assert row["index"] >= 0
    for key in ("language", "split", "label", *text_keys):
        assert isinstance(row[key], str), (key, row)
    for key in text_keys:
        assert row[key].strip(), (key, row)
        assert row[key] == row[key].strip()
    assert row["label"] in labels, row


def test_nli_rows_have_exactly_the_keys_and_types(nli):
    for row in nli:
        _check_types(row, NLI_KEYS, ("premise", "hypothesis"), NLI_LABELS)
        assert row["language"] in LANGS
        assert row["split"] in {"train", "dev", "test"}


def test_nli_counts_and_balance(nli):
    counts = Counter((r["split"], r["language"]) for r in nli)
    expected = {("train", "en"): 600}
    expected.update({("dev", lang): 90 for lang in LANGS})
    expected.update({("test", lang): 150 for lang in LANGS})
    assert dict(counts) == expected  # train is English only
    labels = Counter((r["split"], r["language"], r["label"]) for r in nli)
    for (split, lang), n in expected.items():
        for label in NLI_LABELS:
            assert labels[(split, lang, label)] == n // 3, (split, lang, label)


def test_nli_indices_are_positions(nli):
    indices = defaultdict(list)
    for row in nli:
        indices[(row["split"], row["language"])].append(row["index"])
    for key, seen in indices.items():
        assert sorted(seen) == list(range(len(seen))), key


def test_nli_dev_and_test_are_parallel(nli):
    by_index = defaultdict(dict)
    for row in nli:
        if row["split"] != "train":
            by_index[(row["split"], row["index"])][row["language"]] = row
    for (split, index), rows in by_index.items():
        assert set(rows) == LANGS, (split, index)
        assert len({r["label"] for r in rows.values()}) == 1, (split, index)
    for split in ("dev", "test"):
        per_lang = [{r["index"] for r in nli if r["split"] == split and r["language"] == lang} for lang in LANGS]
        assert all(s == per_lang[0] for s in per_lang)
        # translations differ from the English text (except possibly in rare identical sentences)
        english = {r["index"]: r["premise"] for r in nli if r["split"] == split and r["language"] == "en"}
        german = {r["index"]: r["premise"] for r in nli if r["split"] == split and r["language"] == "de"}
        assert sum(english[i] != german[i] for i in english) > len(english) * 0.9


def test_nli_no_eval_pair_in_train(nli):
    train = {(r["premise"], r["hypothesis"]) for r in nli if r["split"] == "train"}
    assert len(train) == 600  # no duplicates within train either
    for row in nli:
        if row["split"] != "train":
            assert (row["premise"], row["hypothesis"]) not in train, row
    for split in ("dev", "test"):
        pairs = [(r["premise"], r["hypothesis"]) for r in nli if r["split"] == split and r["language"] == "en"]
        assert len(set(pairs)) == len(pairs), split


def test_nli_scripts(nli):
    for row in nli:
        has_cyrillic = bool(CYRILLIC.search(row["premise"])) and bool(CYRILLIC.search(row["hypothesis"]))
        if row["language"] == "ru":
            assert has_cyrillic, row
        else:
            assert not CYRILLIC.search(row["premise"] + row["hypothesis"]), row


def test_nli_label_not_given_by_length(nli):
    train = [r for r in nli if r["split"] == "train"]
    mean = {
        label: sum(len(r["hypothesis"].split()) for r in train if r["label"] == label) / 200 for label in NLI_LABELS
    }
    assert max(mean.values()) - min(mean.values()) < 1.5, mean


def test_sentiment_rows(sentiment):
    for row in sentiment:
        _check_types(row, SENTIMENT_KEYS, ("text",), SENTIMENT_LABELS)
        assert row["language"] == "en"
    counts = Counter((r["split"], r["label"]) for r in sentiment)
    assert dict(counts) == {("train", "negative"): 250, ("train", "positive"): 250,
                            ("dev", "negative"): 50, ("dev", "positive"): 50}
    for split, n in (("train", 500), ("dev", 100)):
        assert sorted(r["index"] for r in sentiment if r["split"] == split) == list(range(n))
    train = {r["text"] for r in sentiment if r["split"] == "train"}
    assert len(train) == 500
    assert not train & {r["text"] for r in sentiment if r["split"] == "dev"}


def test_generator_reproduces_the_files(tmp_path):
    done = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for path in (NLI, SENTIMENT):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
