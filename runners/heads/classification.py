"""Sentence(-pair) classification: a linear head on <s> (AutoModelForSequenceClassification).

Confidence: the maximum of softmax over the class logits (Guo et al. 2017's definition, the one every
named query uses). One prediction row per input, unit 0, with the full logit vector.
"""

from __future__ import annotations

import numpy as np

# English dev accuracy selects the checkpoint, as jiant and XTREME report for XNLI and PAWS-X.
METRIC = "accuracy"
TRAINED = True
# each input is scored on its own: a run's prediction cells can share length-sorted batches (runners/predict.py run_batch)
PER_INPUT = True


def model_class():
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification


def model_kwargs(task) -> dict:
    return {"num_labels": len(task.labels)}


def _inputs(feature: dict) -> dict:
    """A feature's model inputs (all the tokenizer made, segment ids included): all but its label."""
    return {k: v for k, v in feature.items() if k != "label"}


def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
    """The same tokenization as `common.encode` (what attack victims use), plus each gold label."""
    from xstore.runners.common import encode as encode_pairs

    features = encode_pairs(tokenizer, [e["text_a"] for e in examples], [e["text_b"] for e in examples], max_length)
    for feature, example in zip(features, examples):
        feature["label"] = example["label"]
    return features


def collate(tokenizer, features: list[dict]):
    import torch

    inputs = tokenizer.pad([_inputs(f) for f in features], return_tensors="pt")
    return dict(inputs), {"labels": torch.tensor([f["label"] for f in features])}


def loss(model, inputs: dict, targets: dict, label_smoothing: float):
    """Cross-entropy, with label smoothing when the phase sets it (TrainSettings.label_smoothing)."""
    import torch

    logits = model(**inputs).logits
    return torch.nn.functional.cross_entropy(logits.float(), targets["labels"], label_smoothing=label_smoothing)


def predict(model, tokenizer, examples: list[dict], features: list[dict], batch_size: int) -> dict:
    """Full logits per input through `common.batched_logits`: the path attack victims take, so stored
    clean predictions and a victim's own scores of the same text are the same numbers."""
    from xstore.runners.common import batched_logits

    logits = batched_logits(model, tokenizer, [_inputs(f) for f in features], batch_size)
    n = len(examples)
    return {"example": np.arange(n), "unit": np.zeros(n, dtype=np.int32),
            "label": np.array([e["label"] for e in examples], dtype=np.int32), "logits": logits}


def dev_score(scored: dict) -> float:
    """Accuracy: the share of rows whose arg-max class is the gold one."""
    return float((np.asarray(scored["logits"]).argmax(axis=1) == scored["label"]).mean())
