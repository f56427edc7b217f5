"""Extractive question answering (SQuAD; XQuAD, MLQA, TyDi QA GoldP): a start and an end score per token.

Features follow transformers' run_qa.py and XTREME's run_squad.py: (question, context) pairs cut into
windows of max_length tokens (384 in XTREME) with overlapping strides (doc stride 128), truncating the
context only; questions are cut to 64 tokens (XTREME's max_query_length). For inputs shorter than 384
both become max_length // 3 (which is 128 at 384). Training labels are the answer's first and last
token in each window, or <s> (the CLS index) when the window does not hold the whole answer, or when
the question is unanswerable (SQuAD v2, answers []).

Prediction (transformers' utils_qa.postprocess_qa_predictions and XTREME/BERT's write_predictions):
the 20 best start and 20 best end tokens of every window give candidate spans inside the context, at
most 30 tokens long, scored start_logit + end_logit; a text found in several windows keeps its best
score (BERT's and XTREME's de-duplication), and the 20 best texts are the question's n-best. When the
cell holds an unanswerable question (SQuAD v2), the null answer "" is a candidate for every question,
scored start_logit[<s>] + end_logit[<s>] of its lowest-scoring window, as utils_qa does; it is also the
only candidate of a question with no valid span.

One prediction row per question (unit 0): logits = the n-best scores, sorted descending; pred_label 0;
label = the index of the first candidate whose normalized text equals a normalized gold answer, or -1.
Confidence: softmax over the n-best scores, at index 0: the probability utils_qa.postprocess_qa_predictions
assigns to its answer. One span_answer row per question holds the answer text, its character offset in
the context (-1 for the null answer), the gold texts, the n-best texts in logits order, and exact match
and F1 under the official SQuAD v1.1 normalization, max over gold answers (an unanswerable question's
gold is "", scored with SQuAD v2.0's rule: F1 is 1 when both answers are empty, else 0). The dev score
for model selection is the mean F1 (on a 0 to 1 scale, not the official script's 0 to 100).
"""

from __future__ import annotations

import collections
import functools
import re
import string
import sys
import unicodedata

import numpy as np

from xstore.errors import UserError
from xstore.runners.common import input_names
from xstore.runners.heads._batches import forward_sorted, pad_inputs

METRIC = "f1"
TRAINED = True
# XTREME's train_qa.sh / transformers run_qa.py: --doc_stride 128, --max_seq_length 384; run_squad.py's
# --max_query_length 64; utils_qa.postprocess_qa_predictions: n_best_size=20, max_answer_length=30.
DOC_STRIDE = 128
MAX_QUERY_LENGTH = 64
N_BEST = 20
MAX_ANSWER_LENGTH = 30


def model_class():
    from transformers import AutoModelForQuestionAnswering

    return AutoModelForQuestionAnswering


def model_kwargs(task) -> dict:
    return {}


def encode(tokenizer, examples: list[dict], max_length: int) -> list[dict]:
    """Windows over every (question, context), with offsets into the context and training positions."""
    query_length, stride = min(MAX_QUERY_LENGTH, max_length // 3), min(DOC_STRIDE, max_length // 3)
    questions = _cut(tokenizer, [e["text_a"].lstrip() for e in examples], query_length)
    contexts = [e["text_b"] or "" for e in examples]
    try:
        enc = tokenizer(questions, contexts, truncation="only_second", max_length=max_length, stride=stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
    except Exception as err:  # the fast tokenizers raise their own error types
        raise UserError(f"cannot cut questions and contexts into windows of {max_length} tokens: {err}") from None
    names = input_names(tokenizer, enc)  # segment ids too (BERT's question is segment 0, its context 1)
    features = []
    for j, ids in enumerate(enc["input_ids"]):
        i = enc["overflow_to_sample_mapping"][j]
        seq = enc.sequence_ids(j)
        offsets = [tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][j], seq)]
        cls = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
        start, end = _positions(offsets, (examples[i].get("fields") or {}).get("answers") or [], cls)
        features.append({**{name: enc[name][j] for name in names}, "example": i,
                         "offsets": offsets, "cls": cls, "start_position": start, "end_position": end})
    return features


def _cut(tokenizer, questions: list[str], length: int) -> list[str]:
    """Each question cut to its first `length` tokens, as text (so offsets into it stay exact)."""
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    return [q if len(ids) <= length else q[:offs[length - 1][1]]
            for q, ids, offs in zip(questions, enc["input_ids"], enc["offset_mapping"])]


def _positions(offsets: list, answers: list[dict], cls: int) -> tuple[int, int]:
    """The first answer's first and last token in this window, or (cls, cls) (run_qa.py's rule)."""
    context = [k for k, o in enumerate(offsets) if o is not None]
    if not answers or not context:
        return cls, cls
    start_char = answers[0]["start"]
    end_char = start_char + len(answers[0]["text"])
    first, last = context[0], context[-1]
    if not (offsets[first][0] <= start_char and offsets[last][1] >= end_char):
        return cls, cls
    start = first
    while start <= last and offsets[start][0] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][1] >= end_char:
        end -= 1
    return start - 1, end + 1


def collate(tokenizer, features: list[dict]):
    import torch

    return pad_inputs(tokenizer, features), {"start_positions": torch.tensor([f["start_position"] for f in features]),
                    "end_positions": torch.tensor([f["end_position"] for f in features])}


def loss(model, inputs: dict, targets: dict, label_smoothing: float):
    """The mean of the start and end cross-entropies, as transformers' *ForQuestionAnswering computes it."""
    import torch

    out = model(**inputs)
    ce = torch.nn.functional.cross_entropy
    return (ce(out.start_logits.float(), targets["start_positions"]) + ce(out.end_logits.float(), targets["end_positions"])) / 2


def predict(model, tokenizer, examples: list[dict], features: list[dict], batch_size: int) -> dict:
    """n-best answers per question over all its windows: prediction rows and span_answer rows."""
    def take(outputs, inputs):
        lengths = inputs["attention_mask"].sum(dim=1).tolist()
        starts, ends = outputs.start_logits.float().cpu().numpy(), outputs.end_logits.float().cpu().numpy()
        return [(s[:n], e[:n]) for s, e, n in zip(starts, ends, lengths)]

    per_feature = forward_sorted(model, features, batch_size, lambda fs: collate(tokenizer, fs), take)
    windows = collections.defaultdict(list)
    for f, logits in zip(features, per_feature):
        windows[f["example"]].append((f, logits))
    with_null = any(not (e.get("fields") or {}).get("answers") for e in examples)
    label, logits, answers = [], [], []
    for i, example in enumerate(examples):
        candidates = n_best(example["text_b"] or "", windows[i], with_null)
        gold = [a["text"] for a in (example.get("fields") or {}).get("answers") or []]
        targets = {normalize_answer(g) for g in gold or [""]}
        texts = [text for text, _, _ in candidates]
        label.append(next((k for k, text in enumerate(texts) if normalize_answer(text) in targets), -1))
        logits.append(np.array([score for _, score, _ in candidates], dtype=np.float32))
        answer, _, start = candidates[0]
        answers.append({"example": i, "answer": answer, "answer_start": start, "gold": gold, "candidates": texts,
                        "exact_match": max(exact_match(answer, g) for g in gold or [""]),
                        "f1": max(f1_score(answer, g) for g in gold or [""])})
    n = len(examples)
    return {"example": np.arange(n), "unit": np.zeros(n, dtype=np.int32), "label": np.array(label, dtype=np.int32),
            "logits": logits, "span_answer": answers}


def n_best(context: str, windows: list, with_null: bool) -> list[tuple[str, float, int]]:
    """(text, score, start character) of the question's best answers, sorted by score, best first."""
    best: dict[str, tuple[float, int]] = {}
    null_score = None
    for f, (start_logits, end_logits) in windows:
        offsets, cls = f["offsets"], f["cls"]
        score = float(start_logits[cls] + end_logits[cls])
        null_score = score if null_score is None else min(null_score, score)
        starts = np.argsort(start_logits, kind="stable")[::-1][:N_BEST]
        ends = np.argsort(end_logits, kind="stable")[::-1][:N_BEST]
        for s in starts:
            for e in ends:
                if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > MAX_ANSWER_LENGTH:
                    continue
                raw = context[offsets[s][0]:offsets[e][1]]
                text = raw.strip()
                if not text:
                    continue
                score = float(start_logits[s] + end_logits[e])
                if text not in best or score > best[text][0]:
                    best[text] = (score, offsets[s][0] + len(raw) - len(raw.lstrip()))
    ranked = sorted(((text, score, start) for text, (score, start) in best.items()), key=lambda c: -c[1])
    null = ("", null_score if null_score is not None else 0.0, -1)
    if not with_null:
        return ranked[:N_BEST] or [null]
    top = sorted(ranked + [null], key=lambda c: -c[1])[:N_BEST]
    return top if null in top else top + [null]  # utils_qa adds the null answer back if it fell out


def normalize_answer(text: str) -> str:
    """The official SQuAD v1.1 normalization: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """SQuAD v1.1 token F1; with an empty side, SQuAD v2.0's rule (1 if both are empty, else 0)."""
    pred, truth = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not truth:
        return float(pred == truth)
    same = sum((collections.Counter(pred) & collections.Counter(truth)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def dev_score(scored: dict) -> float:
    """Mean SQuAD F1 over the questions (0 to 1)."""
    return float(np.mean([a["f1"] for a in scored["span_answer"]])) if scored["span_answer"] else 0.0


# -- task scores: each dataset's official exact match and F1 (XTREME, Hu et al. 2020) -------------------------
# XQuAD and TyDi QA GoldP are scored with SQuAD v1.1's script (XTREME's scripts/eval_qa / third_party
# evaluate_squad.py); MLQA with its own mlqa_evaluation_v1.py (Lewis et al. 2020), whose normalisation depends on
# the context language: Unicode punctuation, per-language articles, and for Chinese one token per CJK character.
OFFICIAL_NORMALIZATION = {"mlqa": "mlqa-v1"}  # task -> script; every other span task: "squad-v1.1"



@functools.cache
def _mlqa_punct() -> frozenset:
    """mlqa_evaluation_v1.py's PUNCT: every Unicode character of a category P*, and ASCII punctuation (built on
    first use: the scan of all code points takes a fraction of a second)."""
    return frozenset(chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")) | set(string.punctuation)

# Its articles per language (None: the language has no formal articles). The Arabic pattern is the script's
# own: its first branch can never match, so every "ال" is removed wherever it stands.
_MLQA_ARTICLES = {
    "en": r"\b(a|an|the)\b", "es": r"\b(un|una|unos|unas|el|la|los|las)\b", "hi": None,
    "vi": r"\b(của|là|cái|chiếc|những)\b", "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
    "ar": "\\sال^|ال", "zh": None,
}
_CJK = re.compile(r"[\u4e00-\u9fa5]")  # the script's "Chinese character" range


def mlqa_normalize(text: str, language: str) -> str:
    """MLQA's official normalisation: lower case, no punctuation, no articles, then whitespace tokens (Chinese:
    each CJK character and punctuation mark its own token), joined by single spaces."""
    if language not in _MLQA_ARTICLES:
        raise UserError(f"MLQA's official script has no normalisation for language {language!r}")
    punct = _mlqa_punct()
    text = "".join(ch for ch in text.lower() if ch not in punct)
    if _MLQA_ARTICLES[language]:
        text = re.sub(_MLQA_ARTICLES[language], " ", text)
    if language != "zh":
        return " ".join(text.split())
    tokens, pending = [], ""
    for ch in text:
        if _CJK.search(ch) or ch in punct:
            tokens += pending.split()
            tokens.append(ch)
            pending = ""
        else:
            pending += ch
    tokens += pending.split()
    return " ".join(t for t in tokens if t.strip())


def mlqa_scores(prediction: str, gold: str, language: str) -> tuple[float, float]:
    """(exact match, F1) as mlqa_evaluation_v1.py scores one answer: no special case for empty answers."""
    pred, truth = mlqa_normalize(prediction, language), mlqa_normalize(gold, language)
    same = sum((collections.Counter(pred.split()) & collections.Counter(truth.split())).values())
    if same == 0:
        return float(pred == truth), 0.0
    precision, recall = same / len(pred.split()), same / len(truth.split())
    return float(pred == truth), 2 * precision * recall / (precision + recall)


def official_scores(answers: list[dict], task: str, language: str) -> list[dict]:
    """The answers with exact_match, f1 and normalization as the task's official script scores them (max over
    gold answers); SQuAD v1.1's (already computed by `predict`) for every task but MLQA."""
    script = OFFICIAL_NORMALIZATION.get(task, "squad-v1.1")
    if script == "squad-v1.1":
        return [{**a, "normalization": script} for a in answers]
    out = []
    for a in answers:
        scores = [mlqa_scores(a["answer"], g, language) for g in a["gold"] or [""]]
        out.append({**a, "exact_match": max(s[0] for s in scores), "f1": max(s[1] for s in scores),
                    "normalization": script})
    return out
