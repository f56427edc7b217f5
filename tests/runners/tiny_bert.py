"""A tiny BERT-family encoder built offline: BertConfig (hidden 32, 2 layers, two segment types) and a
WordPiece tokenizer trained on the demo's text, whose pairs are `[CLS] A [SEP] B [SEP]` with segment ids
0 for A and 1 for B, as BERT's own tokenizer makes them (Devlin et al. 2019, §3)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path


def _demo_texts() -> list[str]:
    texts = []
    for name in ("demo_nli.jsonl", "demo_sentiment.jsonl"):
        for line in resources.files("xstore.demo").joinpath(name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts += [record[k] for k in ("premise", "hypothesis", "text") if k in record]
    return texts


def build(folder: Path) -> Path:
    """Save the tiny BERT (a masked-LM checkpoint, as a hub BERT is) and its tokenizer in `folder`."""
    import torch
    from transformers import BertConfig, BertForMaskedLM

    from xstore.runners.models import wordpiece_tokenizer

    tokenizer = wordpiece_tokenizer(_demo_texts(), vocab_size=3000, lowercase=True)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, type_vocab_size=2,
                        # BERT's 0.02 leaves a 32-wide model's outputs nearly the same for every input
                        initializer_range=0.2)
    BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
