"""Masked-LM word substitution: BAE-R of Garg & Ramakrishnan 2020, "BAE: BERT-based Adversarial Examples
for Text Classification" (EMNLP 2020; https://arxiv.org/abs/2004.01970), with BERT-Attack's word budget
(Li et al. 2020, "BERT-ATTACK: Adversarial Attack Against BERT Using BERT", EMNLP 2020).

A word is masked and a multilingual masked language model proposes replacements in context: by default
the victim's own pretrained base model with its MLM head (`mlm = "base"`, e.g. XLM-R), or a local MLM
directory or hub id. Changes from TextAttack's `BAEGarg2019` recipe, so it works in every language:
- TextAttack's `WordSwapMaskedLM` keeps only candidates with an ASCII letter; here a candidate is any
  vocabulary piece that starts a word (SentencePiece's "▁") and is one word of word characters; in
  languages written without spaces (Chinese, Japanese, Thai) any piece may be a candidate;
- stop words are the language's stopwords-iso list, never replaced (TextAttack: NLTK's English list);
- the part-of-speech constraint (flair, English) is dropped, and the Universal Sentence Encoder
  constraint (a TF Hub download) is off unless `use_threshold` > 0, which needs tensorflow_hub,
  tensorflow_text and the multilingual USE, and says so when they are missing; the encoder similarity of
  `validity.constraints` (the victim's own pretrained model, mean-pooled) is on by default instead;
- negation is never replaced, and a replacement may not bring one in ("always" -> "never").
"""

from __future__ import annotations

import importlib.util

from xstore.errors import UserError
from xstore.runners.attacks import languages, textattack_offline, validity

textattack_offline.load()

from textattack import Attack  # noqa: E402 - needs the offline set-up above
from textattack.constraints.overlap import MaxWordsPerturbed  # noqa: E402
from textattack.constraints.pre_transformation import RepeatModification, StopwordModification  # noqa: E402
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402
from textattack.transformations import WordSwap  # noqa: E402


class WordSwapMultilingualMLM(WordSwap):
    """BAE-R's replacement step: mask the word, keep the masked LM's top whole-word predictions."""

    def __init__(self, mlm, tokenizer, max_candidates: int, batch_size: int, max_length: int, unspaced: bool):
        super().__init__()
        self.mlm, self.tokenizer = mlm.eval(), tokenizer
        self.max_candidates, self.batch_size, self.max_length = max_candidates, batch_size, max_length
        self.unspaced = unspaced
        self.mlm_calls = 0

    def _get_transformations(self, current_text, indices_to_modify):
        indices = sorted(indices_to_modify)
        masked = [current_text.replace_word_at_index(i, self.tokenizer.mask_token).tokenizer_input for i in indices]
        out = []
        for i, words in zip(indices, self._candidates(masked)):
            out.extend(current_text.replace_word_at_index(i, w) for w in words if w != current_text.words[i])
        return out

    def _candidates(self, inputs: list) -> list[list[str]]:
        import torch

        device = next(self.mlm.parameters()).device
        special = set(self.tokenizer.all_special_ids)
        found = []
        for start in range(0, len(inputs), self.batch_size):
            chunk = inputs[start:start + self.batch_size]
            pairs = [x[1] for x in chunk] if isinstance(chunk[0], tuple) else None
            firsts = [x[0] for x in chunk] if isinstance(chunk[0], tuple) else list(chunk)
            enc = self.tokenizer(firsts, pairs, truncation=True, max_length=self.max_length, padding=True,
                                 return_tensors="pt").to(device)
            self.mlm_calls += len(chunk)
            with torch.inference_mode():
                logits = self.mlm(**enc).logits
            for row, ids in zip(logits, enc["input_ids"]):
                where = (ids == self.tokenizer.mask_token_id).nonzero()
                if not len(where):  # the mask was cut off by truncation
                    found.append([])
                    continue
                # Look further than K down the ranking: pieces that are not whole words are skipped.
                ranked = torch.topk(row[where[0, 0]].float(), min(row.shape[-1], 8 * self.max_candidates)).indices
                found.append(self._whole_words([t for t in ranked.tolist() if t not in special]))
        return found

    def _whole_words(self, token_ids: list[int]) -> list[str]:
        words = []
        for piece in self.tokenizer.convert_ids_to_tokens(token_ids):
            if piece.startswith("▁"):
                piece = piece[1:]
            elif not self.unspaced:
                continue  # a word-internal piece: BAE keeps whole words only
            if piece and textattack_offline.words_from_text(piece) == [piece] and piece not in words:
                words.append(piece)
                if len(words) == self.max_candidates:
                    break
        return words


def build(victim, language: str, params: dict) -> Attack:
    """The attack for one victim and one language; `params["mlm"]` is a loadable MLM directory or hub id."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from xstore.runners import models as base_models

    constraints = [
        # TextAttack's recipe: never replace the same word twice, never a stop word.
        RepeatModification(),
        StopwordModification(stopwords=languages.stopwords(language)),
    ]
    if params["max_words_perturbed_share"] < 1:
        # Li et al. 2020 (BERT-Attack, from correspondence quoted in TextAttack's recipe): "Word
        # percentage allowed to change is set to 0.4 for most data-sets".
        constraints.append(MaxWordsPerturbed(max_percent=params["max_words_perturbed_share"]))
    if params["use_threshold"] > 0:
        constraints.append(_sentence_encoder(params["use_threshold"]))
    constraints += validity.constraints(victim, language, params)
    try:
        mlm = AutoModelForMaskedLM.from_pretrained(params["mlm"])
        mlm_tokenizer = AutoTokenizer.from_pretrained(params["mlm"])
    except OSError as err:
        raise base_models.load_error(params["mlm"], err) from None
    mlm.to(next(victim.model.parameters()).device)
    transformation = WordSwapMultilingualMLM(
        mlm, mlm_tokenizer,
        # Garg & Ramakrishnan 2020 (TextAttack's recipe): "We only consider the top K=50 synonyms".
        max_candidates=params["max_candidates"],
        batch_size=victim.batch_size, max_length=victim.max_length,
        unspaced=language in languages.UNSPACED)
    goal_function = UntargetedClassification(
        victim, query_budget=params["query_budget"] or float("inf"), model_batch_size=victim.batch_size)
    # Garg & Ramakrishnan 2020: a token's importance is the drop in the gold-label probability when it
    # is deleted; tokens are then replaced greedily in that order.
    return Attack(goal_function, constraints, transformation, GreedyWordSwapWIR(wir_method="delete"))


def _sentence_encoder(threshold: float):
    """BAE's USE constraint with the multilingual USE; only where tensorflow_hub and tensorflow_text are."""
    missing = [name for name in ("tensorflow_hub", "tensorflow_text") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"bae: use_threshold = {threshold} needs the multilingual Universal Sentence Encoder, which needs "
            f"{' and '.join(missing)} installed and a TF Hub download; set use_threshold = 0 to attack without it")
    from textattack.constraints.semantics.sentence_encoders import MultilingualUniversalSentenceEncoder

    # Garg & Ramakrishnan 2020, as set in TextAttack's recipe: cosine similarity against the original
    # text within a window of 15 words, windows shorter than that always accepted.
    return MultilingualUniversalSentenceEncoder(threshold=threshold, metric="cosine", compare_against_original=True,
                                                window_size=15, skip_text_shorter_than_window=True)
