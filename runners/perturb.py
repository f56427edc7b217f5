"""The `perturb` cell: apply one attack to every example of one task split in one language.

A model-independent attack (random noise) needs no model and gives one text per example for every run.
Under the transfer and per-victim protocols the cell's `victim` parent is a trained run: the attack
queries it, and each attempt is stored as skipped (the victim was already wrong on the clean input),
succeeded or failed. Both judgements use the victim's logits computed exactly as its `predict_clean`
and `predict_perturbed` cells compute them (same inputs, order, batches and device), so a stored
"succeeded" always matches a stored wrong prediction of the victim on the stored text.

Every attack keeps negation (`attacks.negation`) and, where the cell sets a similarity threshold, meaning
(`attacks.meaning`); each row stores what the validity query reads: the negation markers before and
after, the encoder similarity, and the candidates each constraint rejected.
"""

from __future__ import annotations

import importlib
import random
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pyarrow as pa

from xstore import integrity
from xstore.catalog import get_attack, get_task
from xstore.keys import canonical_json, content_key
from xstore.runners import CellKind
from xstore.runners.attacks import negation


def run(ctx) -> dict[str, pa.Table]:
    cell, p = ctx.cell, ctx.cell.params
    entry = get_attack(p["attack"])
    examples = ctx.fetch("SELECT id, text_a, text_b, label FROM example WHERE cell_key = ? ORDER BY idx",
                         [cell.parents["examples"]]).to_pylist()
    victim_key = cell.parents.get("victim")
    if victim_key is None:
        attempts = _perturb_independently(ctx, entry, examples)
    else:
        attempts = _attack_victim(ctx, entry, examples, victim_key)
    attempts = with_negation_markers(examples, attempts, p["language"])
    n = len(examples)
    return {"perturbation": pa.table({
        "id": [content_key("perturbation", cell.key, e["id"]) for e in examples],
        "cell_key": [cell.key] * n,
        "example_id": [e["id"] for e in examples],
        "attack": [entry.name] * n,
        "attack_version": pa.array([entry.version] * n, pa.int32()),
        "params": [canonical_json(p["params"])] * n,
        "victim_run_key": pa.array([victim_key] * n, pa.string()),
        "language": [p["language"]] * n,
        "text_a": [a["text_a"] for a in attempts],
        "text_b": pa.array([a["text_b"] for a in attempts], pa.string()),
        "outcome": [a["outcome"] for a in attempts],
        "queries": pa.array([a["queries"] for a in attempts], pa.int32()),
        "words_changed": pa.array([a["words_changed"] for a in attempts], pa.int32()),
        "chars_changed": pa.array([a["chars_changed"] for a in attempts], pa.int32()),
        "seed": pa.array([int(p["params"].get("seed", 0))] * n, pa.int32()),
        "similarity": pa.array([a["similarity"] for a in attempts], pa.float64()),
        "negations": [canonical_json(a["negations"]) for a in attempts],
        "negations_after": [canonical_json(a["negations_after"]) for a in attempts],
        "rejected": [canonical_json(a["rejected"]) for a in attempts],
    })}


KINDS = (CellKind("perturb", order=4, version=1, run=run),)


def with_negation_markers(examples: list[dict], attempts: list[dict], language: str) -> list[dict]:
    """Each attempt with the negation markers of its original and of its perturbed text, fields in order."""
    def found(*texts):
        return [m for text in texts if text is not None for m in negation.markers(text, language)]

    return [{**a, "negations": found(e["text_a"], e["text_b"]), "negations_after": found(a["text_a"], a["text_b"])}
            for e, a in zip(examples, attempts)]


def _resolve(target: str):
    """The function a catalogue entry names as "module:function", importing its module now (attack
    builders import textattack): the one resolver of such strings."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _perturb_independently(ctx, entry, examples: list[dict]) -> list[dict]:
    """A model-independent attack: its runner perturbs every example, with the cell's encoder if it has one."""
    p = ctx.cell.params
    encoder = None
    if p["params"].get("similarity_threshold", 0) > 0:
        from xstore.runners.attacks.meaning import Encoder

        source = _model_source(p["params"]["similarity_encoder"], p.get("similarity_base_model"), ctx)
        encoder = Encoder(source, get_task(p["task"]).max_length, ctx.spec.predict.batch_size)
    return _resolve(entry.runner)(examples, p["params"], p["language"], encoder)


def _attack_victim(ctx, entry, examples: list[dict], victim_key: str) -> list[dict]:
    """Fetch the victim run's model (from the process's model cache) and the MLM an attack asks for, then
    attack every example."""
    from transformers import AutoModelForSequenceClassification

    from xstore.runners.attacks.victim import Victim
    from xstore.runners.common import quiet_transformers
    from xstore.runners.model_cache import model_for

    quiet_transformers()
    p = ctx.cell.params
    run_row = ctx.fetch("SELECT checkpoint_path, checkpoint_sha256, base_model FROM training_run WHERE key = ?",
                        [victim_key]).to_pylist()[0]
    checkpoint = integrity.checkpoint(ctx.store, run_row["checkpoint_path"], victim_key)
    params = dict(p["params"])
    for name in ("mlm", "similarity_encoder"):  # "base" is the victim's pretrained model
        if name in params:
            params[name] = _model_source(params[name], run_row["base_model"], ctx)
    # the class predict_clean loads for classification: one cached model serves the run's predictions and attacks
    model, tokenizer = model_for(ctx, checkpoint, run_row["checkpoint_sha256"], AutoModelForSequenceClassification)
    victim = Victim(model, tokenizer, max_length=p["max_length"], batch_size=ctx.spec.predict.batch_size)
    return attack_examples(victim, entry, examples, p["language"], params, fields=get_task(p["task"]).text_fields)


def _model_source(value: str, base_model: str, ctx) -> str:
    """"base" is the victim's pretrained model (with its MLM head: BAE's masked LM, the similarity encoder);
    else a local directory or hub id."""
    from xstore.runners import models as base_models

    if value == "base":
        return base_models.resolve(base_model, ctx.spec, ctx.store.artifacts)[0]
    local = (ctx.spec.path.parent if ctx.spec.path else Path.cwd()) / value
    return str(local) if local.exists() else value


def attack_examples(victim, entry, examples: list[dict], language: str, params: dict,
                    fields: tuple[str, ...]) -> list[dict]:
    """Attack each example the victim gets right; one attempt per example, in input order.

    Args:
        victim: an `attacks.victim.Victim` (the classifier on its device, max_length and batch size
            of the run's predict cells).
        entry: the attack's catalogue entry; its runner builds a TextAttack `Attack`.
        examples: dicts with id, text_a, text_b and label, in the order of the predict cells.
        params: the cell's attack parameters (budgets, seed, similarity threshold; `mlm` and
            `similarity_encoder` resolved to loadable sources).
        fields: the task's text field names (TextAttack shows them as column names).
    """
    import Levenshtein

    from xstore.runners.attacks import validity

    inputs = [_texts(e) for e in examples]
    clean = victim.logits(inputs)  # the victim's predict_clean logits: same inputs, order and batches
    for key, row in zip(inputs, clean):
        victim.cache[key] = row  # each attack's first query is the clean input
    attack = _resolve(entry.runner)(victim, language, params)
    validity.check(attack)
    rejected = validity.count_rejections(attack)
    attempts = []
    for example, texts, logits in zip(examples, inputs, clean):
        if logits.argmax() != example["label"]:
            attempts.append({"texts": texts, "outcome": "skipped", "queries": 1, "words_changed": 0, "rejected": {}})
            continue
        _seed(params["seed"], example["id"])
        rejected.clear()
        result = attack.attack(OrderedDict(zip(fields, texts)), int(example["label"]))
        final = result.perturbed_result
        after = final.attacked_text.tokenizer_input
        attempts.append({"texts": after if isinstance(after, tuple) else (after,), "outcome": None,
                         "queries": int(final.num_queries),
                         "words_changed": len(final.attacked_text.attack_attrs["modified_indices"]),
                         "similarity": final.attacked_text.attack_attrs.get("similarity"),
                         "rejected": {k: v for k, v in sorted(rejected.items()) if v}})
    # Judge success on the victim's predict_perturbed logits: all final texts, in order, uncached.
    final_logits = victim.logits([a["texts"] for a in attempts])
    # The similarity the constraint saw; an accepted text it was not asked about again (a cached decision)
    # gets the same value from the encoder, whose embeddings are cached per text.
    encoder = validity.meaning_encoder(attack)
    scores = encoder.similarity([(t, a["texts"]) for t, a in zip(inputs, attempts)]) if encoder else [None] * len(inputs)
    out = []
    for example, texts, attempt, logits, score in zip(examples, inputs, attempts, final_logits, scores):
        outcome = attempt["outcome"] or ("succeeded" if logits.argmax() != example["label"] else "failed")
        after = attempt["texts"]
        seen = attempt.get("similarity")
        out.append({
            "text_a": after[0], "text_b": after[1] if len(after) > 1 else None, "outcome": outcome,
            "queries": attempt["queries"], "words_changed": attempt["words_changed"],
            "chars_changed": sum(Levenshtein.distance(x, y) for x, y in zip(texts, after)),
            "similarity": seen if seen is not None and after != texts else score, "rejected": attempt["rejected"],
        })
    return out


def _texts(example: dict) -> tuple:
    return (example["text_a"],) if example["text_b"] is None else (example["text_a"], example["text_b"])


def _seed(seed: int, example_id: str) -> None:
    """Seed the generators TextAttack's transformations draw from, per example, as charnoise does."""
    import torch

    value = int(content_key("attack", seed, example_id), 16) % 2**32
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)
