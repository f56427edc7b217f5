"""Sentence retrieval (BUCC 2018, Tatoeba): find a sentence's English translation by embedding similarity.

No training: as in XTREME (Hu et al. 2020), the encoder is used as it is (after phases 2 and 3 where a
run has them). A sentence's embedding is the mean of one layer's hidden states over its tokens, <s> and
</s> included (XTREME's third_party/evaluate_retrieval.py, pool_type "mean" without
pool_skip_special_token); the layer is a middle one, as XTREME's scripts pick it: scripts/run_tatoeba.sh
uses --specific_layer 7 of 12 for mBERT and 13 of 24 for XLM-R large (indices into the layer outputs,
embeddings excluded), i.e. hidden_states[num_layers // 2 + 2]. A 2-layer model (the built-in tiny one)
has no such layer and uses its last. Similarity is cosine, as in XTREME's --dist cosine.

Within a cell, every text_a (the sentence in the language) is compared with every text_b (the English
sentences of the same examples); the gold translation of example i is text_b of example i.
One prediction row per text_a (unit 0): logits = the cosine similarities to the top k = min(100, n)
English sentences, sorted descending, divided by a temperature of 0.05; pred_label 0; label = the gold
sentence's rank in that list, or -1 when it is not in the top k.
Confidence: softmax over those logits, at index 0 (the top candidate's share among the k).

Why 0.05: cosine similarities of mean-pooled encoder states are bunched in a narrow band (contextual
embeddings are anisotropic, Ethayarajh 2019), so a softmax over raw cosines is nearly uniform over 100
candidates whatever the model; 0.05 is the temperature contrastive sentence encoders are trained with
(SimCSE, Gao et al. 2021, tau = 0.05), which makes a cosine gap of 0.05 one nat. It is a fixed constant:
the raw cosines are the stored logits times 0.05, and post-hoc temperature scaling fits on top of it.
"""

from __future__ import annotations

import numpy as np

from xstore.runners.common import input_names
from xstore.runners.heads._batches import forward_sorted, pad_inputs

METRIC = "accuracy"  # the top candidate is the gold translation (Tatoeba's measure); never used for selection
TRAINED = False
TOP_K = 100  # candidates kept per sentence
TEMPERATURE = 0.05


def model_class():
    from transformers import AutoModel

    return AutoModel


def model_kwargs(task) -> dict:
    return {}


def layer_index(num_layers: int) -> int:
    """The hidden_states index XTREME's retrieval scripts use: 8 of 12 layers (mBERT), 14 of 24 (XLM-R large)."""
    return min(num_layers, num_layers // 2 + 2)


def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
    """All text_a sentences, then all text_b sentences (side 0 and 1)."""
    features = []
    for side, key in enumerate(("text_a", "text_b")):
        texts = [e[key] or "" for e in examples]
        enc = tokenizer(texts, truncation=True, max_length=max_length)
        names = input_names(tokenizer, enc)
        features += [{**{name: enc[name][i] for name in names}, "side": side, "example": i} for i in range(len(texts))]
    return features


def collate(tokenizer, features: list[dict]):
    return pad_inputs(tokenizer, features), {}


def predict(model, tokenizer, examples: list[dict], features: list[dict], batch_size: int) -> dict:
    layer = layer_index(model.config.num_hidden_layers)
    model.config.output_hidden_states = True  # every layer's states, so the middle one can be pooled

    def take(outputs, inputs):
        states = outputs.hidden_states[layer].float()
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        return list(((states * mask).sum(dim=1) / mask.sum(dim=1)).cpu().numpy())

    vectors = np.stack(forward_sorted(model, features, batch_size, lambda fs: collate(tokenizer, fs), take))
    n = len(examples)
    return rank(vectors[:n], vectors[n:])


def rank(source: np.ndarray, target: np.ndarray) -> dict:
    """Prediction rows from sentence embeddings: source i's gold is target i."""
    source = source / np.maximum(np.linalg.norm(source, axis=1, keepdims=True), 1e-12)
    target = target / np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-12)
    sims = source.astype(np.float64) @ target.astype(np.float64).T
    n, k = sims.shape[0], min(TOP_K, sims.shape[1])
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    logits = (np.take_along_axis(sims, order, axis=1) / TEMPERATURE).astype(np.float32)
    hits = order == np.arange(n)[:, None]
    label = np.where(hits.any(axis=1), hits.argmax(axis=1), -1)
    return {"example": np.arange(n), "unit": np.zeros(n, dtype=np.int32), "label": label.astype(np.int32),
            "logits": logits}


def dev_score(scored: dict) -> float:
    """Accuracy: the share of sentences whose top candidate is their gold translation."""
    return float((scored["label"] == 0).mean()) if len(scored["label"]) else 0.0
