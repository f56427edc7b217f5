"""What the negation and meaning tests share: a tiny victim for any script, every attack run on given
sentences, and a check of negation that does not use the lexicon under test.

The victim is a random 2-layer XLM-R classifier with a BPE tokenizer trained on the sentences themselves,
so every script becomes real tokens and every edit moves the logits; its masked-LM twin (same tokenizer)
is BAE's masked LM and the similarity encoder. Each example's label is set to the victim's own clean
prediction, so every example is attacked and none is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from xstore.catalog import ATTACKS

VICTIM_ATTACKS = ("deepwordbug", "pruthi", "homoglyph", "bae")
NOISE_ATTACKS = ("charnoise", "homoglyphnoise")
UNSPACED = ("zh", "ja", "th")


def build_models(folder: Path, texts: list[str]) -> tuple:
    """(victim wrapper, the masked-LM directory) for a tokenizer trained on `texts`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import (PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaForMaskedLM,
                              XLMRobertaForSequenceClassification)

    from xstore.runners.attacks.victim import Victim
    from xstore.runners.models import TINY_CONFIG
    from xstore.runners.common import quiet_transformers

    quiet_transformers()
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=1500, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                                       show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                       special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                        pad_token="<pad>", mask_token="<mask>", cls_token="<s>", sep_token="</s>")
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), num_labels=3, **TINY_CONFIG)
    mlm = XLMRobertaForMaskedLM(config)
    mlm.save_pretrained(folder / "mlm")
    tokenizer.save_pretrained(folder / "mlm")
    classifier = XLMRobertaForSequenceClassification(config).eval()
    return Victim(classifier, tokenizer, max_length=64, batch_size=64), folder / "mlm"


def attack_all(victim, mlm: Path, examples: list[dict], language: str, attacks=VICTIM_ATTACKS + NOISE_ATTACKS,
               query_budget: int = 30, **overrides) -> dict[str, list[dict]]:
    """Every attack's attempts on `examples` (dicts with id, text_a, text_b), labelled with the victim's
    own clean prediction; `overrides` set attack parameters (similarity_threshold, ...)."""
    from xstore.runners.perturb import attack_examples, with_negation_markers

    logits = victim.logits([(e["text_a"],) if e["text_b"] is None else (e["text_a"], e["text_b"]) for e in examples])
    examples = [{**e, "label": int(row.argmax())} for e, row in zip(examples, logits)]
    out = {}
    for name in attacks:
        entry = ATTACKS[name]
        params = {**entry.defaults, "similarity_encoder": str(mlm), **overrides}
        if name in NOISE_ATTACKS:
            from xstore.runners.perturb import _resolve

            encoder = None
            if params["similarity_threshold"] > 0:
                from xstore.runners.attacks.meaning import Encoder

                encoder = Encoder(str(mlm), 64, 64)
            attempts = _resolve(entry.runner)(examples, {**params, "rate": 0.3}, language, encoder)
        else:
            params.update(query_budget=query_budget, mlm=str(mlm))
            attempts = attack_examples(victim, entry, examples, language, params, ("premise", "hypothesis"))
        out[name] = with_negation_markers(examples, attempts, language)
    return out


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens without the punctuation or symbols around them (an independent word
    split; a homoglyph attack may turn a full stop into a look-alike one)."""
    def edge(char):
        return unicodedata.category(char)[0] in "PSZ"

    out = []
    for token in text.split():
        start, end = 0, len(token)
        while start < end and edge(token[start]):
            start += 1
        while end > start and edge(token[end - 1]):
            end -= 1
        out.append(token[start:end])
    return out


def occurrences(text: str, token: str, language: str) -> int:
    """How often `token` (a negation the test names) occurs in `text`: as a whole token in spaced scripts,
    as a substring in unspaced ones; NFC, case-sensitive."""
    text, token = unicodedata.normalize("NFC", text), unicodedata.normalize("NFC", token)
    if language in UNSPACED:
        return len(re.findall(re.escape(token), text))
    return _tokens(text).count(token)


def negation_lost(original: str, perturbed: str, tokens: list[str], language: str) -> list[str]:
    """The named negation tokens whose count differs between the original and the perturbed text."""
    return [t for t in tokens if occurrences(original, t, language) != occurrences(perturbed, t, language)]
