"""A BERT-family encoder (a local directory in `base_models`) is fine-tuned and evaluated with its segment ids.

BERT reads a pair as `[CLS] A [SEP] B [SEP]` with token_type_ids 0 for A and 1 for B; fed without them every
pair is one segment. One fill of a tiny BERT (tests/runners/tiny_bert.py) over every head kind: multiple
choice in phase 2, then sentence-pair classification, span extraction, tagging and retrieval, with every
forward call of every head model recorded, in training and in prediction.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import head_tasks
import tiny_bert

# head model class -> whether its inputs are pairs (segment 1 present) and whether it is trained
HEADS = {
    "BertForSequenceClassification": (True, True),  # premise / hypothesis
    "BertForMultipleChoice": (True, True),  # context / choice, phase 2
    "BertForQuestionAnswering": (True, True),  # question / context windows
    "BertForTokenClassification": (False, True),  # one sentence of words
    "BertModel": (False, False),  # retrieval: one sentence, the encoder as it is
}


def _record(monkeypatch, calls: list) -> None:
    """Wrap every head class's forward (and BertModel's, when called directly, as retrieval does) to note
    whether it was training and the segment ids it got."""
    import transformers

    nested = []
    for name in HEADS:
        cls = getattr(transformers, name)
        original = cls.forward

        @functools.wraps(original)  # keeps the signature that runners/common.forward_inputs reads
        def forward(self, *args, __original=original, __name=name, **kwargs):
            if __name != "BertModel" or not nested:
                segments = kwargs.get("token_type_ids")
                calls.append((__name, self.training, None if segments is None else segments.detach().clone(),
                              kwargs.get("attention_mask")))
            nested.append(1)
            try:
                return __original(self, *args, **kwargs)
            finally:
                nested.pop()

        monkeypatch.setattr(cls, "forward", forward)


@pytest.fixture(scope="module")
def bert_fill(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert")
    bert = tiny_bert.build(folder / "tiny-bert")
    calls: list = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        head_tasks.register(monkeypatch)
        _record(monkeypatch, calls)
        store = head_tasks.fill_spec(folder, base_model=str(bert), intermediate=["fx-choice"],
                                     targets=["demo-nli", "fx-span", "fx-tag", "fx-ret"], languages=["en", "de"])
    return store, calls


def test_every_head_gets_segment_ids_in_training_and_prediction(bert_fill):
    _, calls = bert_fill
    for name, (pairs, trained) in HEADS.items():
        mine = [(training, segments, mask) for cls, training, segments, mask in calls if cls == name]
        phases = {training for training, _, _ in mine}
        assert phases == ({True, False} if trained else {False}), name
        assert all(segments is not None for _, segments, _ in mine), f"{name} was called without token_type_ids"
        for _, segments, mask in mine:
            assert segments.shape == mask.shape
            assert not segments[mask == 0].any()  # padding is segment 0
            # every pair has a second segment (a question's filler choices, "[CLS][SEP]", are not pairs); single
            # sentences are all segment 0
            ones, real = (segments == 1).any(dim=-1), mask.sum(dim=-1) > 2
            assert bool(ones[real].all()) if pairs else not segments.any(), name


def test_stored_logits_are_the_pipelines_and_not_those_without_segment_ids(bert_fill):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    store, _ = bert_fill
    (path,) = head_tasks.query(store, "SELECT checkpoint_path FROM training_run WHERE task = 'demo-nli'")[0]
    rows = head_tasks.query(store, "SELECT e.text_a, e.text_b, p.logits FROM prediction p JOIN example e ON "
                                   "e.id = p.example_id WHERE p.task = 'demo-nli' ORDER BY e.language, e.idx")
    assert len(rows) > 100
    pairs = [{"text": a, "text_pair": b} for a, b, _ in rows]
    stored = np.array([logits for _, _, logits in rows], dtype=np.float32)

    checkpoint = store.artifacts / path
    classifier = pipeline("text-classification", model=str(checkpoint), device="cpu")
    label2id = classifier.model.config.label2id
    theirs = np.zeros_like(stored)
    for row, scores in zip(theirs, classifier(pairs, top_k=None, function_to_apply="none", batch_size=16)):
        for score in scores:
            row[label2id[score["label"]]] = score["score"]
    rounding = np.abs(stored - theirs).max()
    assert rounding < 1e-5

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()
    enc = tokenizer([p["text"] for p in pairs], [p["text_pair"] for p in pairs], padding=True, truncation=True,
                    max_length=128, return_tensors="pt")
    with torch.inference_mode():
        one_segment = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits.numpy()
    # the segment ids change what the model says, by far more than batching rounds
    assert np.abs(stored - one_segment).max() > max(1e-3, 100 * rounding)


def test_an_attack_victim_scores_pairs_with_segment_ids(bert_fill):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xstore.runners.attacks.victim import Victim

    store, _ = bert_fill
    (path,) = head_tasks.query(store, "SELECT checkpoint_path FROM training_run WHERE task = 'demo-nli'")[0]
    rows = head_tasks.query(store, "SELECT e.text_a, e.text_b, p.logits FROM prediction p JOIN example e ON "
                                   "e.id = p.example_id WHERE p.task = 'demo-nli' AND e.language = 'de' ORDER BY e.idx")
    checkpoint = store.artifacts / path
    victim = Victim(AutoModelForSequenceClassification.from_pretrained(checkpoint),
                    AutoTokenizer.from_pretrained(checkpoint), max_length=128, batch_size=64)
    scored = victim([(a, b) for a, b, _ in rows])
    assert np.abs(scored - np.array([logits for _, _, logits in rows])).max() < 1e-5
