"""The multiple-choice entries (xstore/tasks/multiple_choice.py): local layouts, real CommonsenseQA dev, hub mapping, errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import offline_hub_message, real_data
from xstore.errors import UserError
from xstore.tasks import TASKS, sources

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"


def test_catalogue_holds_the_multiple_choice_entries():
    for name, n_choices in (("commonsenseqa", 5), ("cosmosqa", 4), ("hellaswag", 4)):
        entry = TASKS[name]
        assert (entry.head, entry.role, entry.version) == ("multiple_choice", "intermediate", 1)
        assert entry.labels == tuple(str(i) for i in range(n_choices))
        assert entry.splits == {"train": ("en",), "dev": ("en",)}
        assert entry.hub and entry.layout and entry.source


def test_commonsenseqa_reads_the_original_and_the_flat_form():
    train = TASKS["commonsenseqa"].read("train", "en", FIXTURES / "commonsenseqa")  # original release
    assert [(r["idx"], r["label"]) for r in train.rows] == [(0, 0), (1, 1), (2, 3)]
    assert train.rows[1] == {"idx": 1, "text_a": "What do people use to cut paper?", "text_b": None, "label": 1,
                             "fields": {"choices": ["spoon", "scissors", "cup", "pillow", "shoe"]}}
    dev = TASKS["commonsenseqa"].read("dev", "en", FIXTURES / "commonsenseqa")  # the hub's flat form
    assert [r["label"] for r in dev.rows] == [2, 0, 1, 4]
    assert dev.rows[3]["fields"]["choices"][4] == "shoes"
    path = FIXTURES / "commonsenseqa" / "dev_rand_split.jsonl"
    assert (dev.origin, dev.location, dev.fingerprint) == ("local", str(path), sources.fingerprint([path]))


def test_real_commonsenseqa_dev():
    rows = TASKS["commonsenseqa"].read("dev", "en", real_data("csqa")).rows
    assert len(rows) == 1221
    assert Counter(r["label"] for r in rows) == {0: 239, 1: 255, 2: 241, 3: 251, 4: 235}  # MANIFEST.json, A-E
    assert all(len(r["fields"]["choices"]) == 5 for r in rows)


def test_cosmosqa_reads_the_csv_release():
    train = TASKS["cosmosqa"].read("train", "en", FIXTURES / "cosmosqa").rows
    assert [r["label"] for r in train] == [1, 0, 3]
    assert train[1]["text_a"] == 'We said "goodbye" at the station ,\nthen the train left .'  # quoted, two lines
    assert (train[1]["text_b"], train[1]["fields"]["choices"][0]) == ("What may happen next ?", "We will meet again .")
    dev = TASKS["cosmosqa"].read("dev", "en", FIXTURES / "cosmosqa")  # valid.csv
    assert [(r["idx"], r["label"]) for r in dev.rows] == [(0, 2), (1, 0), (2, 1)]
    assert dev.location == str(FIXTURES / "cosmosqa" / "valid.csv")


def test_hellaswag_reads_the_jsonl_release():
    train = TASKS["hellaswag"].read("train", "en", FIXTURES / "hellaswag").rows
    assert [r["label"] for r in train] == [3, 0, 0]
    assert train[0]["text_b"] == "then" and train[0]["fields"]["choices"][3].startswith(", the man continues")
    assert train[2]["text_b"] is None  # an empty ctx_b: the ending follows ctx_a directly
    dev = TASKS["hellaswag"].read("dev", "en", FIXTURES / "hellaswag").rows  # hellaswag_val.jsonl
    assert [(r["idx"], r["label"]) for r in dev] == [(0, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize("name, split, expected", [
    ("commonsenseqa", "train", "train_rand_split.jsonl"), ("cosmosqa", "dev", "valid.csv"),
    ("hellaswag", "dev", "hellaswag_val.jsonl"),
])
def test_missing_file_names_the_expected_layout(tmp_path, name, split, expected):
    with pytest.raises(UserError) as caught:
        TASKS[name].read(split, "en", tmp_path)
    assert f"task {name!r}" in str(caught.value) and expected in str(caught.value)
    assert TASKS[name].layout in str(caught.value)


_CSQA = '{"answerKey": "%s", "id": "x", "question": {"stem": "Q?", "choices": %s}}\n'
_FIVE = '[{"label": "A", "text": "a"}, {"label": "B", "text": "b"}, {"label": "C", "text": "c"}, ' \
        '{"label": "D", "text": "d"}, {"label": "E", "text": "e"}]'
_FOUR = '[{"label": "A", "text": "a"}, {"label": "B", "text": "b"}, {"label": "C", "text": "c"}, {"label": "D", "text": "d"}]'
_COSMOS = "id,context,question,answer0,answer1,answer2,answer3,label\n"


@pytest.mark.parametrize("name, file, text, needle", [
    ("commonsenseqa", "dev_rand_split.jsonl", _CSQA % ("A", _FIVE) + _CSQA % ("F", _FIVE),
     "line 2: unknown answerKey 'F'"),
    ("commonsenseqa", "dev_rand_split.jsonl", _CSQA % ("A", _FOUR), "line 1: choices labelled"),
    ("commonsenseqa", "dev_rand_split.jsonl", "{not json\n", "line 1: not valid JSON"),
    ("cosmosqa", "valid.csv", _COSMOS + "v,ctx,q?,a,b,c,d,4\n", "line 2: unknown label '4'"),
    ("cosmosqa", "valid.csv", _COSMOS + "v,ctx,q?,a,b,c,d\n", "line 2 has 7 columns, the header 8"),
    ("cosmosqa", "valid.csv", _COSMOS + "v,ctx,q?,a,,c,d,1\n", "line 2: empty or missing choice 1"),
    ("hellaswag", "hellaswag_val.jsonl", '{"ctx_a": "A man.", "ctx_b": "he", "endings": ["x", "y", "z"], "label": 0}\n',
     "line 1: 3 choices, expected 4"),
    ("hellaswag", "hellaswag_val.jsonl", '{"ctx_a": "", "ctx_b": "he", "endings": ["w", "x", "y", "z"], "label": 0}\n',
     "line 1: empty or missing ctx_a"),
])
def test_bad_lines_name_file_and_line(tmp_path, name, file, text, needle):
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        TASKS[name].read("dev", "en", tmp_path)
    assert str(tmp_path / file) in str(caught.value) and needle in str(caught.value)


@pytest.mark.parametrize("name", ["commonsenseqa", "cosmosqa", "hellaswag"])
def test_offline_hub_is_one_clear_error(monkeypatch, tmp_path, name):
    offline_hub_message(monkeypatch, tmp_path, name, "train", "en")


def _hub(monkeypatch, columns: dict) -> list:
    datasets = pytest.importorskip("datasets")
    calls = []

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split, revision))
        return datasets.Dataset.from_dict(columns)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_commonsenseqa_hub(monkeypatch):
    calls = _hub(monkeypatch, {"question": ["Where?"], "answerKey": ["E"],
                               "choices": [{"label": list("ABCDE"), "text": ["a", "b", "c", "d", "e"]}]})
    loaded = TASKS["commonsenseqa"].read("dev", "en")
    assert calls == [("tau/commonsense_qa", None, "validation", None)]
    assert loaded.rows == [{"idx": 0, "text_a": "Where?", "text_b": None, "label": 4,
                            "fields": {"choices": ["a", "b", "c", "d", "e"]}}]
    assert loaded.origin == "hub"


def test_cosmosqa_hub_reads_the_parquet_export(monkeypatch):
    calls = _hub(monkeypatch, {"id": ["i"], "context": ["C."], "question": ["Q?"], "answer0": ["a"],
                               "answer1": ["b"], "answer2": ["c"], "answer3": ["d"], "label": [2]})
    rows = TASKS["cosmosqa"].read("train", "en").rows
    assert calls == [("allenai/cosmos_qa", None, "train", "refs/convert/parquet")]
    assert (rows[0]["text_a"], rows[0]["text_b"], rows[0]["label"]) == ("C.", "Q?", 2)


def test_hellaswag_hub_labels_are_digit_strings(monkeypatch):
    calls = _hub(monkeypatch, {"ctx_a": ["A girl sings.", "A man runs."], "ctx_b": ["she", ""],
                               "endings": [["a", "b", "c", "d"], ["e", "f", "g", "h"]], "label": ["3", "0"]})
    rows = TASKS["hellaswag"].read("dev", "en").rows
    assert calls == [("Rowan/hellaswag", None, "validation", "refs/convert/parquet")]
    assert [(r["text_b"], r["label"]) for r in rows] == [("she", 3), (None, 0)]
