"""The victim: a fine-tuned classifier behind TextAttack's model-wrapper interface, batched and cached.

Every query goes through `common.batched_logits` (length-sorted batches, dynamic padding, the GPU
when there is one), and an input already scored is answered from an LRU cache that lives for the
whole cell, across examples: TextAttack's own cache is cleared after every example.
"""

from __future__ import annotations

import lru
import numpy as np

from xstore.runners.attacks import textattack_offline
from xstore.runners.common import batched_logits, encode

textattack_offline.load()

from textattack.models.wrappers import ModelWrapper  # noqa: E402 - needs the offline set-up above


class Victim(ModelWrapper):
    """Scores lists of inputs (a string, or a tuple of strings for a pair) with one classifier.

    Attributes:
        forward_passes: inputs actually run through the model (cache misses), for benchmarks.
    """

    def __init__(self, model, tokenizer, max_length: int, batch_size: int, cache_size: int = 2**18):
        self.model = model  # TextAttack checks the class name: *ForSequenceClassification
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.cache = lru.LRU(cache_size)
        self.forward_passes = 0

    def __call__(self, text_input_list) -> np.ndarray:
        keys = [x if isinstance(x, tuple) else (x,) for x in text_input_list]
        missing = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if missing:
            for key, row in zip(missing, self.logits(missing)):
                self.cache[key] = row
        return np.stack([self.cache[k] for k in keys])

    def logits(self, inputs: list[tuple]) -> np.ndarray:
        """Uncached logits for `inputs` (tuples of one or two strings), in input order."""
        self.forward_passes += len(inputs)
        text_a = [x[0] for x in inputs]
        text_b = [x[1] if len(x) > 1 else None for x in inputs]
        encodings = encode(self.tokenizer, text_a, text_b, self.max_length)
        return batched_logits(self.model, self.tokenizer, encodings, self.batch_size)
