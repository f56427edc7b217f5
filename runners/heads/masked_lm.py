"""The masked-LM objective of "TASK+mlm" settings (Phang et al. 2020's alternative (i)): phase 2 only.

transformers' own pieces: the model's MaskedLM class (AutoModelForMaskedLM, whose output layer is tied to the
input embeddings) and DataCollatorForLanguageModeling for BERT's masking (Devlin et al. 2019, section 3.1):
`mask_rate` of the tokens are chosen, 80% of those become <mask>, 10% a random token, 10% stay as they are;
special tokens and padding are never chosen. The collator draws from torch's global generator, which the
trainer seeds and its resumable states save, so masks repeat exactly. The head is discarded with the others
at the end of phase 2; the phase has no MLM dev score (model selection stays on the task's English dev).

Unlike the task heads (modules) this one is an object: it carries the masking rate of its cell.
"""

from __future__ import annotations


class MaskedLMHead:
    """The head interface of xstore.runners.heads, for the MLM objective at one masking rate."""

    TRAINED = True
    METRIC = "none"  # no dev set: never scored

    def __init__(self, mask_rate: float, mask_share: float = 0.8, random_share: float = 0.1):
        self.mask_rate, self.mask_share, self.random_share = mask_rate, mask_share, random_share
        self._collator = None

    @staticmethod
    def model_class():
        from transformers import AutoModelForMaskedLM

        return AutoModelForMaskedLM

    @staticmethod
    def model_kwargs(task) -> dict:
        return {}

    @staticmethod
    def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
        """One feature per line of text, truncated to max_length, with the mask of special tokens the collator
        keeps out of masking."""
        enc = tokenizer([e["text_a"] for e in examples], truncation=True, max_length=max_length,
                        return_special_tokens_mask=True)
        keys = [k for k in ("input_ids", "attention_mask", "special_tokens_mask") if k in enc]
        return [{k: enc[k][i] for k in keys} for i in range(len(examples))]

    def collate(self, tokenizer, features: list[dict]):
        """A padded batch with BERT's masking applied: (inputs, {"labels": the original ids at masked positions,
        -100 elsewhere})."""
        if self._collator is None:
            from transformers import DataCollatorForLanguageModeling

            self._collator = DataCollatorForLanguageModeling(
                tokenizer, mlm=True, mlm_probability=self.mask_rate, mask_replace_prob=self.mask_share,
                random_replace_prob=self.random_share)
        batch = self._collator([dict(f) for f in features])
        labels = batch.pop("labels")
        return dict(batch), {"labels": labels}

    @staticmethod
    def loss(model, inputs: dict, targets: dict, label_smoothing: float):
        """Cross-entropy over the masked positions only; label smoothing is for the task heads, not here."""
        import torch

        logits = model(**inputs).logits.float()
        labels = targets["labels"].view(-1)
        if not bool((labels != -100).any()):  # a batch of short lines where no token was drawn: no loss, not NaN
            return logits.sum() * 0.0
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels, ignore_index=-100)

    @staticmethod
    def tie_to(model, encoder) -> None:
        """Point the output layer at `encoder`'s input embeddings again once the encoder is shared between heads
        (the model's own embeddings, to which it was tied, are then no longer trained)."""
        model.get_output_embeddings().weight = encoder.get_input_embeddings().weight
