"""Multiple choice (CommonsenseQA, CosmosQA, HellaSwag): one score per (context, choice) pair.

Each choice is encoded as the pair (text_a, text_b + " " + choice), or (text_a, choice) when there is no
text_b, as transformers' run_swag.py pairs a context with "question header + ending"; the model
(AutoModelForMultipleChoice) scores every pair and a softmax runs over the choices.

Confidence: the maximum of softmax over the choice logits (Guo et al. 2017), one row per question,
unit 0. Label smoothing is not applied: it is a classification option, and choices padded in a batch
(questions with fewer choices) carry -inf logits, which smoothing would turn into an infinite loss.
"""

from __future__ import annotations

import numpy as np

from xstore.errors import UserError
from xstore.runners.common import input_names
from xstore.runners.heads._batches import forward_sorted, pad_inputs

METRIC = "accuracy"
TRAINED = True
# each question is scored on its own: a run's prediction cells can share length-sorted batches (runners/predict.py run_batch)
PER_INPUT = True


def model_class():
    from transformers import AutoModelForMultipleChoice

    return AutoModelForMultipleChoice


def model_kwargs(task) -> dict:
    return {}


def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
    features = []
    for example in examples:
        choices = (example.get("fields") or {}).get("choices")
        if not choices:
            raise UserError(f"a multiple-choice example has no choices (fields: {example.get('fields')!r})")
        if not 0 <= example["label"] < len(choices):
            raise UserError(f"a multiple-choice example's label {example['label']} is not one of its {len(choices)} choices")
        second = [c if example["text_b"] is None else f"{example['text_b']} {c}" for c in choices]
        enc = tokenizer([example["text_a"]] * len(choices), second, truncation=True, max_length=max_length)
        features.append({**{name: enc[name] for name in input_names(tokenizer, enc)}, "label": example["label"]})
    return features


def collate(tokenizer, features: list[dict]):
    """Inputs (batch, choices, length); a question with fewer choices than the batch's most gets
    "<s></s>" fillers, masked out of the softmax by `choice_mask`."""
    import torch

    n_choices = max(len(f["input_ids"]) for f in features)
    # a filler choice is "<s></s>" (BERT: "[CLS][SEP]"), attended to, in segment 0
    filler = {"input_ids": [tokenizer.cls_token_id, tokenizer.sep_token_id], "attention_mask": [1, 1],
              "token_type_ids": [0, 0]}
    names = [name for name in filler if name in features[0]]
    flat = {name: [] for name in names}
    choice_mask = []
    for f in features:
        extra = n_choices - len(f["input_ids"])
        for name in names:
            flat[name] += f[name] + [filler[name]] * extra
        choice_mask.append([True] * len(f["input_ids"]) + [False] * extra)
    padded = pad_inputs(tokenizer, [{name: flat[name][i] for name in names} for i in range(len(flat["input_ids"]))])
    inputs = {name: tensor.view(len(features), n_choices, -1) for name, tensor in padded.items()}
    return inputs, {"labels": torch.tensor([f["label"] for f in features]), "choice_mask": torch.tensor(choice_mask)}


def loss(model, inputs: dict, targets: dict, label_smoothing: float):
    import torch

    logits = model(**inputs).logits.float().masked_fill(~targets["choice_mask"], float("-inf"))
    return torch.nn.functional.cross_entropy(logits, targets["labels"])


def predict(model, tokenizer, examples: list[dict], features: list[dict], batch_size: int) -> dict:
    """One row per question: the logits of its own choices."""
    logits = forward_sorted(model, features, batch_size, lambda fs: collate(tokenizer, fs),
                            lambda out, inputs: list(out.logits.float().cpu().numpy()))
    logits = [row[:len(f["input_ids"])] for row, f in zip(logits, features)]
    n = len(examples)
    if len({len(row) for row in logits}) == 1:
        logits = np.stack(logits)
    return {"example": np.arange(n), "unit": np.zeros(n, dtype=np.int32),
            "label": np.array([e["label"] for e in examples], dtype=np.int32), "logits": logits}


def dev_score(scored: dict) -> float:
    """Accuracy: the share of questions whose highest-scoring choice is the gold one."""
    return float(np.mean([int(np.argmax(row)) == label for row, label in zip(scored["logits"], scored["label"])]))
