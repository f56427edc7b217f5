"""Token tagging (CCG supertags; UD POS and PAN-X NER): one tag per word (AutoModelForTokenClassification).

Words are split into sub-tokens; as in XTREME's run_tag.py (Hu et al. 2020) and BERT's NER set-up
(Devlin et al. 2019, section 5.3), a word is represented by its FIRST sub-token: training labels sit on
first sub-tokens only (-100, ignored by the loss, everywhere else), and a word's logits are those of its
first sub-token.

Prediction: one row per word (unit = the word's index in the sentence), label = its gold tag index.
Confidence: the maximum of softmax over the tag logits of the word (Guo et al. 2017, per word).
Words cut off by max_length, and words that yield no sub-token at all, get no row: the model never
saw them, so they have no logits to calibrate (count them against the sentence's tokens in SQL if
needed). The dev score for model selection is token accuracy over the scored words, for every tagging
task (PAN-X's entity F1 is not used for selection).
"""

from __future__ import annotations

import numpy as np

from xstore.errors import UserError
from xstore.runners.common import input_names
from xstore.runners.heads._batches import forward_sorted, pad, pad_inputs

METRIC = "token_accuracy"
TRAINED = True
# each sentence is scored on its own: a run's prediction cells can share length-sorted batches (runners/predict.py run_batch)
PER_INPUT = True


def model_class():
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification


def model_kwargs(task) -> dict:
    """The tag count: the entry's labels (for CCG, train.py has put there the tags `TaskEntry.label_set`
    read from its data folder)."""
    if not task.labels:
        raise UserError(f"tagging task {task.name!r} declares no tag set (labels); cannot size its head")
    return {"num_labels": len(task.labels)}


def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
    words = [(e.get("fields") or {}).get("tokens") for e in examples]
    if any(not w for w in words):
        raise UserError("a tagging example has no tokens in its fields")
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    names = input_names(tokenizer, enc)
    features = []
    for i, example in enumerate(examples):
        tags = example["fields"]["tags"]
        if len(tags) != len(words[i]):
            raise UserError(f"a tagging example has {len(words[i])} tokens but {len(tags)} tags")
        word_ids = enc.word_ids(i)
        labels, positions, kept = [], [], []
        for pos, word in enumerate(word_ids):
            first = word is not None and (pos == 0 or word_ids[pos - 1] != word)
            labels.append(tags[word] if first else -100)
            if first:
                positions.append(pos)
                kept.append(word)
        features.append({**{name: enc[name][i] for name in names},
                         "labels": labels, "positions": positions, "words": kept})
    return features


def collate(tokenizer, features: list[dict]):
    return pad_inputs(tokenizer, features), {"labels": pad([f["labels"] for f in features], -100)}


def loss(model, inputs: dict, targets: dict, label_smoothing: float):
    import torch

    logits = model(**inputs).logits.float()
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets["labels"].reshape(-1),
                                             ignore_index=-100)


def predict(model, tokenizer, examples: list[dict], features: list[dict], batch_size: int) -> dict:
    """One row per scored word: the logits of its first sub-token."""
    def take(outputs, inputs):
        return list(outputs.logits.float().cpu().numpy())

    per_feature = forward_sorted(model, features, batch_size, lambda fs: collate(tokenizer, fs), take)
    example, unit, label, logits = [], [], [], []
    for i, (f, token_logits) in enumerate(zip(features, per_feature)):
        tags = examples[i]["fields"]["tags"]
        example += [i] * len(f["words"])
        unit += f["words"]
        label += [tags[w] for w in f["words"]]
        logits.append(token_logits[f["positions"]])
    n_labels = model.config.num_labels
    return {"example": np.array(example, dtype=np.int64), "unit": np.array(unit, dtype=np.int32),
            "label": np.array(label, dtype=np.int32),
            "logits": np.concatenate(logits) if logits else np.zeros((0, n_labels), np.float32)}


def dev_score(scored: dict) -> float:
    """Token accuracy: the share of scored words whose arg-max tag is the gold one."""
    if len(scored["label"]) == 0:
        return 0.0
    return float((scored["logits"].argmax(axis=1) == scored["label"]).mean())


# -- task scores: per-sentence counts, summed in SQL (queries/task_score_by_language.sql) ----------------------


def is_iob2(labels) -> bool:
    """Whether a tag set is IOB2 (Tjong Kim Sang & Veenstra 1999): "O", and "B-type" / "I-type" tags."""
    return bool(labels) and all(tag == "O" or (tag[:2] in ("B-", "I-") and len(tag) > 2) for tag in labels)


def entities(tags: list[str]) -> set[tuple[str, int, int]]:
    """(type, first, last) of every entity in one sentence's IOB2 tags, found as seqeval's get_entities finds
    them in its default (conlleval) mode, the mode XTREME scores PAN-X with: an entity starts at "B-", and also
    at an "I-" after "O" or after a tag of another type; it ends before "O", "B-" or a change of type.
    tests/runners/test_task_scores.py checks agreement with seqeval on random tag sequences."""
    found, start, prev_tag, prev_type = set(), 0, "O", ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, kind = (tag[0], tag[2:]) if tag != "O" else ("O", "")
        if prev_tag != "O" and (prefix in ("B", "O") or kind != prev_type):
            found.add((prev_type, start, i - 1))
        if prefix == "B" or (prefix != "O" and (prev_tag == "O" or kind != prev_type)):
            start = i
        prev_tag, prev_type = prefix, kind
    return found


def sentence_scores(examples: list[dict], scored: dict, labels) -> list[dict]:
    """Per example: its words, scored words, correct words and (for an IOB2 tag set) entity counts.

    A word the model never saw (cut off by max_length) counts as wrongly tagged and reads "O" for entities, so
    the scores are over the gold sentences as XTREME's are, not over what fitted into the model.
    """
    predicted = [[-1] * len(e["fields"]["tags"]) for e in examples]
    pred = scored["logits"].argmax(axis=1) if len(scored["label"]) else []
    for i, word, tag in zip(scored["example"], scored["unit"], pred):
        predicted[int(i)][int(word)] = int(tag)
    iob2 = is_iob2(labels)
    out = []
    for i, example in enumerate(examples):
        gold = example["fields"]["tags"]
        row = {"example": i, "words": len(gold), "scored_words": sum(t >= 0 for t in predicted[i]),
               "correct_words": sum(p == g for p, g in zip(predicted[i], gold)),
               "gold_entities": None, "predicted_entities": None, "correct_entities": None}
        if iob2:
            gold_set = entities([labels[g] for g in gold])
            pred_set = entities([labels[p] if p >= 0 else "O" for p in predicted[i]])
            row.update(gold_entities=len(gold_set), predicted_entities=len(pred_set),
                       correct_entities=len(gold_set & pred_set))
        out.append(row)
    return out
