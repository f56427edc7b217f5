"""The `predict_clean` and `predict_perturbed` cells: full logit vectors for every input of one language.

Inputs are sorted by length and padded per batch, and run under `torch.inference_mode`; each row keeps
the whole float32 logit vector, so any calibration metric can be computed later in SQL.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from xstore.errors import UserError


def quiet_transformers() -> None:
    """No per-load progress bars or "newly initialized head" warnings: phase 3 means to replace the head."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def encode(tokenizer, text_a: list[str], text_b: list | None, max_length: int) -> list[dict]:
    """Tokenize once, without padding: padding happens per batch."""
    pairs = text_b if text_b is not None and any(b is not None for b in text_b) else None
    enc = tokenizer(text_a, pairs, truncation=True, max_length=max_length)
    keys = [k for k in ("input_ids", "attention_mask") if k in enc]
    return [{k: enc[k][i] for k in keys} for i in range(len(text_a))]


def batched_logits(model, tokenizer, encodings: list[dict], batch_size: int) -> np.ndarray:
    """Logits for every encoding, in input order, as a float32 array (n, num_labels)."""
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
                logits = model(**batch).logits
            out[idx] = logits.float().cpu().numpy()
    return out


def run(ctx) -> dict[str, pa.Table]:
    """Fetch the run's checkpoint and the inputs, compute logits, return prediction rows."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    quiet_transformers()
    cell, p = ctx.cell, ctx.cell.params
    run_row = ctx.fetch("SELECT checkpoint_path FROM training_run WHERE key = ?", [cell.parents["run"]])
    checkpoint = ctx.store.artifacts / run_row.column("checkpoint_path")[0].as_py()
    if "examples" in cell.parents:
        inputs = ctx.fetch(
            "SELECT id AS example_id, NULL::VARCHAR AS perturbation_id, text_a, text_b, label "
            "FROM example WHERE cell_key = ? ORDER BY idx", [cell.parents["examples"]])
    else:
        inputs = ctx.fetch(
            "SELECT p.example_id, p.id AS perturbation_id, p.text_a, p.text_b, e.label "
            "FROM perturbation p JOIN example e ON e.id = p.example_id "
            "WHERE p.cell_key = ? ORDER BY e.idx", [cell.parents["perturbations"]])
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).to(device())
    encodings = encode(tokenizer, inputs.column("text_a").to_pylist(), inputs.column("text_b").to_pylist(), p["max_length"])
    logits = batched_logits(model, tokenizer, encodings, ctx.spec.predict.batch_size)
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {"prediction": prediction_table(cell, inputs, logits)}


def prediction_table(cell, inputs: pa.Table, logits: np.ndarray) -> pa.Table:
    """Prediction rows for `inputs`; non-finite logits fail the cell instead of being stored."""
    if not np.isfinite(logits).all():
        bad = int((~np.isfinite(logits)).any(axis=1).sum())
        raise UserError(f"{bad} of {len(logits)} inputs gave NaN or infinite logits; nothing was stored for this cell")
    p, n, k = cell.params, logits.shape[0], logits.shape[1]
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    flat = pa.array(logits.reshape(-1), pa.float32())
    return pa.table({
        "cell_key": pa.array([cell.key] * n, pa.string()),
        "example_id": inputs.column("example_id"),
        "perturbation_id": inputs.column("perturbation_id").cast(pa.string()),
        "run_key": pa.array([cell.parents["run"]] * n, pa.string()),
        "task": pa.array([p["task"]] * n, pa.string()),
        "split": pa.array([p["split"]] * n, pa.string()),
        "language": pa.array([p["language"]] * n, pa.string()),
        "attack": pa.array([p["attack"]] * n, pa.string()),
        "label": inputs.column("label").cast(pa.int32()),
        "logits": pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), flat),
        "pred_label": pa.array(logits.argmax(axis=1).astype(np.int32)),
        "confidence": pa.array(probs.max(axis=1)),
    })
