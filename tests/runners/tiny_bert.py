"""A tiny BERT-family encoder built offline: BertConfig (hidden 32, 2 layers, two segment types) and a
WordPiece tokenizer trained on the demo's text, whose pairs are `[CLS] A [SEP] B [SEP]` with segment ids
0 for A and 1 for B, as BERT's own tokenizer makes them (Devlin et al. 2019, §3)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # BERT's names; ids 0-4 here


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
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(_demo_texts(), trainers.WordPieceTrainer(vocab_size=3000, special_tokens=_SPECIALS,
                                                                     show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece()
    tokenizer = BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, type_vocab_size=2,
                        # BERT's 0.02 leaves a 32-wide model's outputs nearly the same for every input
                        initializer_range=0.2)
    BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
