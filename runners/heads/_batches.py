"""What every head shares: padding a batch (every model input the tokenizer made), and running features
through a model in length-sorted batches."""

from __future__ import annotations

from typing import Callable

from xstore.runners.common import forward_inputs


def pad(sequences: list[list[int]], value: int):
    """A LongTensor (n, longest) of `sequences`, right-padded with `value`."""
    import torch

    longest = max(len(s) for s in sequences)
    out = torch.full((len(sequences), longest), value, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out


def pad_inputs(tokenizer, features: list[dict]) -> dict:
    """The model inputs of `features` (every one the tokenizer made: input_ids, attention_mask, and
    token_type_ids for the BERT family) as padded LongTensors (n, longest)."""
    values = {"input_ids": tokenizer.pad_token_id, "attention_mask": 0, "token_type_ids": tokenizer.pad_token_type_id}
    names = [name for name in tokenizer.model_input_names if name in features[0]]
    return {name: pad([f[name] for f in features], values.get(name, 0)) for name in names}


def feature_length(feature: dict) -> int:
    """Tokens in a feature (its longest choice, for multiple choice): what batches are sorted by."""
    ids = feature["input_ids"]
    return max(len(x) for x in ids) if ids and isinstance(ids[0], list) else len(ids)


def forward_sorted(model, features: list[dict], batch_size: int, collate: Callable, take: Callable) -> list:
    """Run `features` through `model` in length-sorted, dynamically padded batches; results in input order.

    `collate(features) -> (inputs, targets)`; `take(outputs, inputs) -> one result per batch row`. Runs
    under `torch.inference_mode`, with bf16 autocast on CUDA only (CPU results repeat exactly).
    """
    import torch

    dev = next(model.parameters()).device
    order = sorted(range(len(features)), key=lambda i: feature_length(features[i]))
    out: list = [None] * len(features)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            inputs, _ = collate([features[i] for i in idx])
            inputs = {k: v.to(dev) for k, v in inputs.items()}
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                outputs = model(**forward_inputs(model, inputs))
            for i, value in zip(idx, take(outputs, inputs)):
                out[i] = value
    return out

