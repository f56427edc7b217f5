"""Meaning preservation: the cosine similarity of original and perturbed text under a sentence encoder.

The encoder is a pretrained transformer whose last hidden states are averaged over the tokens (mean
pooling, as Sentence-BERT does: Reimers & Gurevych 2019), by default the run's own pretrained model, so
it reads every language the run reads and needs no download. A perturbation keeps its meaning when the
similarity is at least a threshold in every text field it changed. The default threshold, 0.9, is
A2T's (Yoo & Qi 2021, "Towards Improving Adversarial Training of NLP Models", Findings of EMNLP; as set
in TextAttack's `A2TYoo2021` recipe: a mean-pooled sentence encoder, cosine >= 0.9 against the original).
Morris et al. 2020 ("Reevaluating Adversarial Examples in Natural Language") found in a human study that
the looser thresholds of earlier recipes let meaning change. An encoder not tuned for sentence similarity
(raw XLM-R) puts all sentences closer together than an STS-tuned one (Ethayarajh 2019), so 0.9 is a lower
bar there: `perturbation_validity` shows the distribution, and the human check tells whether it suffices.
"""

from __future__ import annotations

import numpy as np


class Encoder:
    """Mean-pooled, unit-length sentence embeddings, computed once per distinct text (LRU cache).

    Attributes:
        encoded: texts actually run through the model (cache misses), for benchmarks.
    """

    def __init__(self, source: str, max_length: int, batch_size: int, cache_size: int = 2**14):
        import lru
        from transformers import AutoModel, AutoTokenizer

        from xstore.runners import models as base_models
        from xstore.runners.common import device

        try:  # offline: a local directory, or the run's base model, which its training has already fetched
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.model = AutoModel.from_pretrained(source, local_files_only=True).to(device()).eval()
        except OSError as err:
            raise base_models.load_error(source, err) from None
        self.source, self.max_length, self.batch_size = source, max_length, batch_size
        self.cache = lru.LRU(cache_size)
        self.encoded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        """(n, hidden) float32 unit vectors, in input order."""
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        for text, vector in zip(missing, self._run(missing)):
            self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    def _run(self, texts: list[str]) -> list[np.ndarray]:
        import torch

        if not texts:
            return []
        self.encoded += len(texts)
        dev = next(self.model.parameters()).device
        encodings = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        out: list = [None] * len(texts)
        # float32 throughout, no autocast: a stored similarity must repeat exactly the one its check saw.
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = self.tokenizer.pad({"input_ids": [encodings[i] for i in idx]}, return_tensors="pt").to(dev)
                hidden = self.model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy()
                for row, i in enumerate(idx):
                    out[i] = pooled[row]
        return out

    def similarity(self, pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[float | None]:
        """For each (original fields, perturbed fields): the smallest cosine similarity over the fields that
        differ, or None when none differs."""
        changed = [[(a, b) for a, b in zip(before, after) if a != b] for before, after in pairs]
        texts = [t for fields in changed for pair in fields for t in pair]
        vectors = dict(zip(texts, self.embed(texts))) if texts else {}
        return [min(float(np.dot(vectors[a], vectors[b])) for a, b in fields) if fields else None
                for fields in changed]
