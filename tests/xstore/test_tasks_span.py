"""The span entries (xstore/tasks/span.py): SQuAD, XQuAD, MLQA and TyDi QA files, answer offsets, hub, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import offline_hub_message
from xstore.errors import UserError
from xstore.tasks import TASKS, sources

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tasks"
SPAN = ("squad", "xquad", "mlqa", "tydiqa")


def _offsets_hold(rows) -> bool:
    return all(row["text_b"][a["start"]:a["start"] + len(a["text"])] == a["text"]
               for row in rows for a in row["fields"]["answers"])


def _squad_json(folder: Path, name: str, qas: list[dict], context: str = "Paris is in France.") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": [
        {"context": context, "qas": qas}]}]}, ensure_ascii=False), encoding="utf-8")
    return path


def test_catalogue_holds_the_span_entries():
    for name in SPAN:
        entry = TASKS[name]
        assert (entry.head, entry.version, entry.labels, entry.max_length) == ("span", 1, (), 384), name
        assert entry.text_fields == ("question", "context") and entry.hub and entry.layout, name
    assert TASKS["squad"].role == "intermediate" and TASKS["squad"].hub == "rajpurkar/squad_v2"
    assert TASKS["xquad"].splits == {"train": ("en",), "dev": ("en",),
                                     "test": ("en", "ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")}
    assert TASKS["mlqa"].splits["dev"] == TASKS["mlqa"].splits["test"] == ("en", "ar", "de", "es", "hi", "vi", "zh")
    assert TASKS["tydiqa"].splits == {"train": ("en",),
                                      "test": ("en", "ar", "bn", "fi", "id", "ko", "ru", "sw", "te")}
    assert TASKS["xquad"].train_defaults == {"epochs": 2.0, "grad_accum_steps": 4}


# --- local files ----------------------------------------------------------------------------------------

def test_squad_v2_keeps_unanswerable_questions_with_no_answers():
    train = TASKS["squad"].read("train", "en", FIXTURES / "squad")
    assert [(r["idx"], r["text_a"]) for r in train.rows] == [
        (0, "In what country is Normandy located?"), (1, "What is the capital of Normandy?")]
    assert train.rows[0]["fields"] == {"answers": [{"text": "France", "start": 104}]}
    assert train.rows[1]["fields"] == {"answers": []}  # is_impossible: plausible_answers are not answers
    assert train.rows[0]["text_b"].startswith("The Normans") and train.rows[0]["label"] == -1
    dev = TASKS["squad"].read("dev", "en", FIXTURES / "squad")
    assert [a["start"] for a in dev.rows[0]["fields"]["answers"]] == [0, 0, 32]  # every annotator's answer
    assert _offsets_hold(train.rows + dev.rows)
    path = FIXTURES / "squad" / "dev-v2.0.json"
    assert (dev.origin, dev.location, dev.fingerprint) == ("local", str(path), sources.fingerprint([path]))


def test_xquad_reads_squad_v11_for_english_and_xquad_for_test():
    folder = FIXTURES / "xquad"  # XTREME's download/ layout: squad/ and xquad/ sub-folders
    train = TASKS["xquad"].read("train", "en", folder)
    assert train.location == str(folder / "squad" / "train-v1.1.json")
    assert train.rows[0]["fields"]["answers"] == [{"text": "twelve to sixteen hours", "start": 15}]
    dev = TASKS["xquad"].read("dev", "en", folder)
    assert [a["text"] for a in dev.rows[0]["fields"]["answers"]] == ["wolves", "from wolves"]
    de = TASKS["xquad"].read("test", "de", folder)
    assert [r["text_a"] for r in de.rows] == ["Durch welche Städte fließt der Rhein?", "Was hat Köln?"]
    assert [r["idx"] for r in de.rows] == [0, 1]
    th = TASKS["xquad"].read("test", "th", folder)
    assert th.rows[0]["fields"]["answers"] == [{"text": "กรุงเทพมหานคร", "start": 0}]
    assert _offsets_hold(train.rows + dev.rows + de.rows + th.rows)


def test_mlqa_splits_english_dev_from_squad_and_the_rest_from_mlqa():
    folder = FIXTURES / "mlqa"
    assert TASKS["mlqa"].read("dev", "en", folder).location == str(folder / "dev-v1.1.json")
    assert TASKS["mlqa"].read("train", "en", folder).location == str(folder / "train-v1.1.json")
    dev_hi = TASKS["mlqa"].read("dev", "hi", folder)
    assert dev_hi.location == str(folder / "MLQA_V1" / "dev" / "dev-context-hi-question-hi.json")
    test_hi = TASKS["mlqa"].read("test", "hi", folder)
    assert [r["fields"]["answers"][0]["text"] for r in test_hi.rows] == ["हिमालय", "गंगा"]
    assert test_hi.rows[1]["fields"]["answers"][0]["start"] > 0  # the second "गंगा", not the first
    test_en = TASKS["mlqa"].read("test", "en", folder)
    assert test_en.rows[0]["text_b"] == "The Nile is a river in Africa."
    assert _offsets_hold(dev_hi.rows + test_hi.rows + test_en.rows)


def test_tydiqa_splits_the_original_train_file_by_language():
    folder = FIXTURES / "tydiqa"
    train = TASKS["tydiqa"].read("train", "en", folder)
    assert [r["text_a"] for r in train.rows] == ["What is the capital of Japan?", "Where is Helsinki?"]
    assert [r["idx"] for r in train.rows] == [0, 1]  # the Arabic question between them is not English
    ar = TASKS["tydiqa"].read("test", "ar", folder)
    assert ar.location == str(folder / "tydiqa-goldp-v1.1-dev" / "tydiqa-goldp-dev-arabic.json")
    assert ar.rows[0]["fields"]["answers"] == [{"text": "عمان", "start": 0}]
    bn = TASKS["tydiqa"].read("test", "bn", folder)
    assert bn.rows[0]["text_a"] == "বাংলাদেশের রাজধানী কী?"
    assert _offsets_hold(train.rows + ar.rows + bn.rows)


def test_tydiqa_reads_xtremes_english_train_file(tmp_path):
    # XTREME's split file drops the language from the ids, so nothing is filtered.
    _squad_json(tmp_path, "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json",
                [{"id": "123", "question": "Where is Paris?", "answers": [{"text": "France", "answer_start": 12}]}])
    assert len(TASKS["tydiqa"].read("train", "en", tmp_path).rows) == 1


# --- errors -------------------------------------------------------------------------------------------

def test_answer_not_at_its_offset_is_refused(tmp_path):
    path = _squad_json(tmp_path, "xquad.de.json", [
        {"id": "q7", "question": "Wo?", "answers": [{"text": "France", "answer_start": 11}]}])
    with pytest.raises(UserError) as caught:
        TASKS["xquad"].read("test", "de", tmp_path)
    message = str(caught.value)
    assert str(path) in message and "question 'q7'" in message
    assert "answer 'France' is not at character 11" in message and "' Franc'" in message


def test_blanked_test_answers_say_xtreme_removed_them(tmp_path):
    # XTREME's download_data.sh rewrites test answers as [{"answer_start": 0, "text": ""}].
    path = _squad_json(tmp_path, "MLQA_V1/test/test-context-de-question-de.json", [
        {"id": "q1", "question": "Wo?", "answers": [{"text": "", "answer_start": 0}]}])
    with pytest.raises(UserError) as caught:
        TASKS["mlqa"].read("test", "de", tmp_path)
    assert str(path) in str(caught.value) and "blanks the answers of test files" in str(caught.value)


@pytest.mark.parametrize("qas, needle", [
    ([{"id": "q1", "question": "Wo?", "answers": []}], "question 'q1': no answers"),
    ([{"id": "q1", "question": "Wo?", "answers": [], "is_impossible": True}], "an unanswerable question"),
    ([{"id": "q1", "question": " ", "answers": [{"text": "Paris", "answer_start": 0}]}], "empty or missing question"),
    ([{"id": "q1", "question": "Wo?", "answers": [{"text": "Paris", "answer_start": "0"}]}], "an integer answer_start"),
    ([{"id": "q1", "question": "Wo?"}], "no 'answers' list"),
    (["not an object"], "question 0: not an object"),
])
def test_malformed_questions_name_the_file_and_question(tmp_path, qas, needle):
    path = _squad_json(tmp_path, "train-v1.1.json", qas)
    with pytest.raises(UserError) as caught:
        TASKS["mlqa"].read("train", "en", tmp_path)
    assert str(path) in str(caught.value) and needle in str(caught.value)


def test_invalid_json_names_file_and_line(tmp_path):
    path = tmp_path / "xquad.zh.json"
    path.write_text('{"data": [\n  {"paragraphs": [}\n]}', encoding="utf-8")
    with pytest.raises(UserError) as caught:
        TASKS["xquad"].read("test", "zh", tmp_path)
    assert str(path) in str(caught.value) and "not valid JSON" in str(caught.value) and "line 2" in str(caught.value)
    path.write_text('{"version": "1.1"}', encoding="utf-8")
    with pytest.raises(UserError, match="no 'data' list"):
        TASKS["xquad"].read("test", "zh", tmp_path)


def test_missing_files_name_the_layout(tmp_path):
    for name, split, language, expected in [
        ("squad", "train", "en", "train-v2.0.json"), ("xquad", "test", "hi", "xquad.hi.json"),
        ("mlqa", "test", "vi", "MLQA_V1/test/test-context-vi-question-vi.json"),
        ("tydiqa", "test", "sw", "tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-swahili.json"),
    ]:
        with pytest.raises(UserError) as caught:
            TASKS[name].read(split, language, tmp_path)
        message = str(caught.value)
        assert str(tmp_path / expected) in message and TASKS[name].layout in message, name


# --- the hub ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, split, language, hub", [
    ("squad", "dev", "en", "rajpurkar/squad_v2"), ("xquad", "test", "el", "google/xtreme"),
    ("mlqa", "train", "en", "rajpurkar/squad"), ("tydiqa", "test", "ko", "google/xtreme"),
])
def test_offline_hub_is_one_clear_error(monkeypatch, tmp_path, name, split, language, hub):
    message = offline_hub_message(monkeypatch, tmp_path, name, split, language)
    assert hub in message


def _fake_hub(monkeypatch, rows: list[tuple]) -> list:
    """datasets.load_dataset serving (id, question, context, [(text, start), ...]) rows for any split."""
    datasets = pytest.importorskip("datasets")
    calls = []
    features = datasets.Features({
        "id": datasets.Value("string"), "question": datasets.Value("string"), "context": datasets.Value("string"),
        "answers": datasets.Sequence({"text": datasets.Value("string"), "answer_start": datasets.Value("int32")})})

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split))
        columns = {"id": [r[0] for r in rows], "question": [r[1] for r in rows], "context": [r[2] for r in rows],
                   "answers": [{"text": [a[0] for a in r[3]], "answer_start": [a[1] for a in r[3]]} for r in rows]}
        return datasets.Dataset.from_dict(columns, features=features)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_tydiqa_hub_takes_the_languages_questions_from_validation(monkeypatch):
    calls = _fake_hub(monkeypatch, [
        ("english-1", "Where?", "In Oslo.", [("Oslo", 3)]),
        ("korean-2", "어디?", "서울에서.", [("서울", 0)]),
        ("korean-3", "누구?", "김씨가 왔다.", [("김씨", 0)])])
    loaded = TASKS["tydiqa"].read("test", "ko")
    assert calls == [("google/xtreme", "tydiqa", "validation")]
    assert [(r["idx"], r["text_a"]) for r in loaded.rows] == [(0, "어디?"), (1, "누구?")]
    assert loaded.origin == "hub" and loaded.location == "google/xtreme (tydiqa) split validation"


def test_hub_offsets_shifted_by_stripping_are_repaired(monkeypatch):
    # google/xtreme's loader strips contexts, so an offset can point a few characters too far.
    _fake_hub(monkeypatch, [("x1", "Wo?", "Der Dom steht in Köln.", [("Köln", 19)])])
    loaded = TASKS["xquad"].read("test", "de")
    assert loaded.rows[0]["fields"]["answers"] == [{"text": "Köln", "start": 17}]
    _fake_hub(monkeypatch, [("x1", "Wo?", "Der Dom steht in Köln.", [("Bonn", 17)])])
    with pytest.raises(UserError, match="answer 'Bonn' is not at character 17"):
        TASKS["xquad"].read("test", "de")


def test_squad_hub_reads_unanswerable_and_mlqa_hub_config(monkeypatch):
    calls = _fake_hub(monkeypatch, [("s1", "Who?", "Nobody knows.", [])])
    assert TASKS["squad"].read("train", "en").rows[0]["fields"] == {"answers": []}
    with pytest.raises(UserError, match="no answers"):  # v1.1-style data has no unanswerable questions
        TASKS["mlqa"].read("test", "ar")
    assert calls == [("rajpurkar/squad_v2", None, "train"), ("google/xtreme", "MLQA.ar.ar", "test")]


def test_hub_answers_as_a_list_of_objects(monkeypatch):
    datasets = pytest.importorskip("datasets")
    served = {"answers": [[{"text": "Oslo", "answer_start": 3}]]}

    def load_dataset(path, name=None, split=None, revision=None, **kwargs):
        return datasets.Dataset.from_dict({"id": ["a"], "question": ["Where?"], "context": ["In Oslo."], **served})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    assert TASKS["squad"].read("dev", "en").rows[0]["fields"] == {"answers": [{"text": "Oslo", "start": 3}]}
    served["answers"] = [[{"text": None, "answer_start": 3}]]
    with pytest.raises(UserError, match="row 0 .*an answer needs a text string and an integer answer_start"):
        TASKS["squad"].read("dev", "en")
