"""What several runners share: the device, quiet transformers, tokenizing inputs (every model input the
tokenizer makes, segment ids included) and feeding what the model takes, batched logits, and stored examples
as the dicts the heads take. torch and transformers are imported inside each function.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pyarrow as pa


def quiet_transformers() -> None:
    """No per-load progress bars or "newly initialized head" warnings: phase 3 means to replace the head."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def device():
    """The GPU when there is one, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def input_names(tokenizer, encoded) -> list[str]:
    """The model inputs a tokenizer produced: input_ids and attention_mask, and token_type_ids (segment ids)
    for the BERT family, whose pair tasks are fine-tuned and evaluated with them (Devlin et al. 2019, §3)."""
    return [name for name in tokenizer.model_input_names if name in encoded]


def forward_inputs(model, inputs: dict) -> dict:
    """The `inputs` that `model`'s forward takes by name; any other tokenizer output is left out."""
    accepted = _forward_names(type(model))
    return {name: value for name, value in inputs.items() if name in accepted}


@functools.lru_cache(maxsize=None)
def _forward_names(model_class) -> frozenset:
    import inspect

    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(name for name, p in inspect.signature(model_class.forward).parameters.items() if p.kind in named)


def encode(tokenizer, text_a: list[str], text_b: list | None, max_length: int) -> list[dict]:
    """Tokenize once, without padding (padding happens per batch), keeping every model input the tokenizer makes."""
    pairs = text_b if text_b is not None and any(b is not None for b in text_b) else None
    enc = tokenizer(text_a, pairs, truncation=True, max_length=max_length)
    keys = input_names(tokenizer, enc)
    return [{k: enc[k][i] for k in keys} for i in range(len(text_a))]


def batched_logits(model, tokenizer, encodings: list[dict], batch_size: int) -> np.ndarray:
    """Logits for every encoding, in input order, as a float32 array (n, num_labels); every input the
    tokenizer made that the model takes is fed to it."""
    import torch

    dev = next(model.parameters()).device
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]["input_ids"]))
    out = np.empty((len(encodings), model.config.num_labels), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            batch = tokenizer.pad([encodings[i] for i in idx], return_tensors="pt").to(dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                logits = model(**forward_inputs(model, batch)).logits
            out[idx] = logits.float().cpu().numpy()
    return out


def example_dicts(inputs: pa.Table) -> list[dict]:
    """Rows of (text_a, text_b, label, fields) as the dicts the heads take, fields parsed from JSON."""
    names = [n for n in ("text_a", "text_b", "label", "fields") if n in inputs.column_names]
    columns = {n: inputs.column(n).to_pylist() for n in names}
    fields = [json.loads(f) if isinstance(f, str) else f for f in columns.get("fields", [None] * inputs.num_rows)]
    return [{"text_a": a, "text_b": b, "label": y, "fields": f}
            for a, b, y, f in zip(columns["text_a"], columns["text_b"], columns["label"], fields)]
