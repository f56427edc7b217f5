"""The per-unit ingredients of the task scores: IOB2 entities as seqeval finds them, per-sentence counts, and
each QA dataset's official exact match and F1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from xstore.runners.heads import span, tagging

ANSWERS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "scores" / "answers.json").read_text("utf-8"))
TASK = {"mlqa-v1": "mlqa", "squad-v1.1": "xquad"}


@pytest.mark.parametrize("case", ANSWERS["cases"], ids=lambda c: f"{c['script']}-{c['language']}-{c['prediction']}")
def test_official_scores_on_the_fixture(case):
    answer = {"answer": case["prediction"], "gold": case["gold"],
              # what predict() computed: SQuAD v1.1's scores, kept for every task but MLQA
              "exact_match": max(span.exact_match(case["prediction"], g) for g in case["gold"]),
              "f1": max(span.f1_score(case["prediction"], g) for g in case["gold"])}
    (scored,) = span.official_scores([answer], TASK[case["script"]], case["language"])
    assert scored["normalization"] == case["script"]
    assert (scored["exact_match"], scored["f1"]) == (case["exact_match"], pytest.approx(case["f1"])), case["why"]


def test_tydiqa_is_scored_by_squad_and_unknown_mlqa_languages_are_refused():
    (scored,) = span.official_scores([{"answer": "a", "gold": ["a"], "exact_match": 1.0, "f1": 1.0}], "tydiqa", "sw")
    assert scored["normalization"] == "squad-v1.1"
    from xstore.errors import UserError

    with pytest.raises(UserError, match="no normalisation for language 'sw'"):
        span.official_scores([{"answer": "a", "gold": ["a"]}], "mlqa", "sw")


def test_entities_agree_with_seqeval_on_random_tag_sequences():
    get_entities = pytest.importorskip("seqeval.metrics.sequence_labeling").get_entities
    rng = np.random.default_rng(11)
    tags = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    for _ in range(2000):
        sentence = [tags[i] for i in rng.integers(0, len(tags), rng.integers(0, 15))]
        assert tagging.entities(sentence) == set(get_entities(sentence)), sentence


def test_sentence_counts_by_hand_with_a_word_the_model_never_saw():
    labels = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")
    examples = [{"fields": {"tokens": list("abcde"), "tags": [1, 2, 0, 3, 4]}},  # PER(0-1), LOC(3-4)
                {"fields": {"tokens": list("xy"), "tags": [0, 3]}}]             # LOC(1)
    predicted = {(0, 0): 1, (0, 1): 2, (0, 2): 0, (0, 3): 3, (1, 0): 3, (1, 1): 3}  # word 4 of sentence 0 cut off
    order = sorted(predicted)
    logits = np.zeros((len(order), len(labels)), np.float32)
    for row, key in enumerate(order):
        logits[row, predicted[key]] = 1.0
    scored = {"example": np.array([i for i, _ in order]), "unit": np.array([w for _, w in order]),
              "label": np.array([examples[i]["fields"]["tags"][w] for i, w in order]), "logits": logits}
    first, second = tagging.sentence_scores(examples, scored, labels)
    # sentence 0: PER right; LOC(3-3) predicted against gold LOC(3-4), since word 4 reads "O"; 4 of 5 words right
    assert (first["words"], first["scored_words"], first["correct_words"]) == (5, 4, 4)
    assert (first["gold_entities"], first["predicted_entities"], first["correct_entities"]) == (2, 2, 1)
    # sentence 1: LOC(0) and LOC(1) predicted, LOC(1) right
    assert (second["gold_entities"], second["predicted_entities"], second["correct_entities"]) == (1, 2, 1)
    pos = tagging.sentence_scores(examples, scored, ("NOUN", "VERB", "ADJ", "DET", "ADP"))
    assert pos[0]["gold_entities"] is None and pos[0]["correct_words"] == 4
