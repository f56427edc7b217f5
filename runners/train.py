"""The `train_intermediate` and `train_target` cells: STILTs phases 2 and 3, one straight-line loop.

Phase 2 fine-tunes the pretrained encoder on one English intermediate task, or several at once with
examples-proportional sampling, and keeps only the encoder (the task heads are discarded, as in Phang
et al. 2020). Phase 3 starts from that encoder (or the pretrained one for "none"), puts a fresh head on
it and fine-tunes on the target task's English training set.
"""

from __future__ import annotations

import math
import os
import shutil
import time

import numpy as np
import pyarrow as pa

from xstore.catalog import get_task
from xstore.errors import UserError
from xstore.runners import models as base_models
from xstore.runners.predict import batched_logits, device, encode, quiet_transformers
from xstore.runners.rows import model_rows
from xstore.schema import TrainingRun
from xstore.spec import TrainSettings


def run(ctx) -> dict[str, pa.Table]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    quiet_transformers()
    cell, p = ctx.cell, ctx.cell.params
    hp = TrainSettings(**p["hparams"])
    t0 = time.perf_counter()

    # -- fetch: the start model and the English training (and dev) examples, by key --
    base_path, base_row = base_models.resolve(p["base_model"], ctx.spec, ctx.store.artifacts)
    start = base_path
    if "intermediate" in cell.parents:
        start = str(ctx.store.artifacts / ctx.fetch("SELECT checkpoint_path FROM training_run WHERE key = ?",
                    [cell.parents["intermediate"]]).column("checkpoint_path")[0].as_py())
    data = {name: _examples(ctx, f"train:{name}") for name in p["tasks"]}
    dev = {name: _examples(ctx, f"dev:{name}") for name in p["tasks"] if f"dev:{name}" in cell.parents}

    # -- compute --
    _seed_everything(p["seed"])
    try:
        tokenizer = AutoTokenizer.from_pretrained(start)
        heads = {}
        for name in p["tasks"]:
            n_labels = len(get_task(name).labels)
            heads[name] = AutoModelForSequenceClassification.from_pretrained(start, num_labels=n_labels)
    except OSError as err:
        raise base_models.load_error(p["base_model"], err) from None
    models = _share_encoder(heads)
    dev_device = device()
    for model in models.values():
        model.to(dev_device)

    enc = {name: encode(tokenizer, d["text_a"], d["text_b"], hp.max_length) for name, d in data.items()}
    dev_enc = {name: encode(tokenizer, d["text_a"], d["text_b"], hp.max_length) for name, d in dev.items()}
    rng = np.random.default_rng(p["seed"])
    batches = {name: _BatchStream(enc[name], data[name]["label"], hp.batch_size, rng) for name in enc}
    sizes = np.array([len(enc[name]) for name in enc], dtype=np.float64)
    # Examples-proportional mixing (Raffel et al. 2020, T5 §3.5.2): a task is drawn with probability
    # proportional to its training-set size. No cap: Phang et al. 2020 mix their nine tasks uncapped.
    mix = sizes / sizes.sum()
    names = list(enc)

    steps_per_epoch = max(1, math.ceil(sum(len(b) for b in batches.values()) / hp.grad_accum_steps))
    total = max(1, math.ceil(hp.epochs * steps_per_epoch))
    if hp.max_steps:
        total = min(total, hp.max_steps)
    params = {id(prm): prm for m in models.values() for prm in m.parameters()}.values()
    optimizer = torch.optim.AdamW(_param_groups(params, models, hp.weight_decay), lr=hp.learning_rate)
    warmup = int(hp.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=hp.label_smoothing)
    steps, running = [], 0.0
    for model in models.values():
        model.train()
    for step in range(1, total + 1):
        for _ in range(hp.grad_accum_steps):
            name = names[int(rng.choice(len(names), p=mix))] if len(names) > 1 else names[0]
            features, labels = batches[name].next_batch(tokenizer)
            features, labels = features.to(dev_device), labels.to(dev_device)
            with torch.autocast(dev_device.type, dtype=torch.bfloat16, enabled=dev_device.type == "cuda"):
                logits = models[name](**features).logits
            loss = loss_fn(logits.float(), labels) / hp.grad_accum_steps
            loss.backward()
            running += loss.item()
        torch.nn.utils.clip_grad_norm_(list(params), hp.max_grad_norm)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        end_of_epoch = step % steps_per_epoch == 0 or step == total
        if step % hp.log_every == 0 or end_of_epoch:
            dev_acc = _dev_accuracy(models, tokenizer, dev_enc, dev, ctx.spec.predict.batch_size) if end_of_epoch else None
            steps.append({"run_key": cell.key, "step": step, "loss": running / min(step % hp.log_every or hp.log_every, step),
                          "learning_rate": schedule.get_last_lr()[0], "dev_accuracy": dev_acc})
            running = 0.0
            for model in models.values():
                model.train()
    if not all(math.isfinite(s["loss"]) for s in steps):
        raise UserError("training diverged (non-finite loss); lower the learning rate")

    # -- save: phase 2 keeps the encoder only, phase 3 the whole classifier --
    first = models[names[0]]
    checkpoint = ctx.store.artifacts / "runs" / cell.key
    tmp = checkpoint.with_name(checkpoint.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (first.base_model if p["phase"] == "intermediate" else first).save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(checkpoint, ignore_errors=True)  # left by an attempt killed before its row was written
    os.replace(tmp, checkpoint)

    final_dev = next((s["dev_accuracy"] for s in reversed(steps) if s["dev_accuracy"] is not None), None)
    run_row = TrainingRun(
        key=cell.key, phase=p["phase"], base_model=p["base_model"], intermediate=p["intermediate"],
        task=p["task"], seed=p["seed"], parent_key=cell.parents.get("intermediate"), hparams=p["hparams"],
        code_version=p["kind_version"], task_versions=p["task_versions"], status="done",
        checkpoint_path=str(checkpoint.relative_to(ctx.store.artifacts)), checkpoint_sha256=base_models.weights_hash(checkpoint),
        wall_seconds=time.perf_counter() - t0, steps=total, train_examples=int(sizes.sum()), dev_accuracy=final_dev,
    )
    return {
        "pretrained_model": model_rows([base_row]),
        "training_run": model_rows([run_row]),
        "training_step": pa.Table.from_pylist(steps),
    }


def _examples(ctx, role: str) -> dict[str, list]:
    table = ctx.fetch("SELECT text_a, text_b, label FROM example WHERE cell_key = ? ORDER BY idx", [ctx.cell.parents[role]])
    return {name: table.column(name).to_pylist() for name in ("text_a", "text_b", "label")}


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _share_encoder(heads: dict) -> dict:
    """Point every task model at the first one's encoder, so one encoder trains under several heads."""
    first = next(iter(heads.values()))
    for model in list(heads.values())[1:]:
        setattr(model, model.base_model_prefix, first.base_model)
    return heads


def _param_groups(params, models, weight_decay: float) -> list[dict]:
    """No weight decay on biases and LayerNorm weights, as in BERT's and RoBERTa's recipes."""
    no_decay = {id(prm) for m in models.values() for n, prm in m.named_parameters()
                if n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n}
    params = list(params)
    return [
        {"params": [prm for prm in params if id(prm) not in no_decay], "weight_decay": weight_decay},
        {"params": [prm for prm in params if id(prm) in no_decay], "weight_decay": 0.0},
    ]


def _dev_accuracy(models, tokenizer, dev_enc, dev, batch_size) -> float | None:
    """English dev accuracy of the first task that has a dev set (the target, in phase 3)."""
    for name, encodings in dev_enc.items():
        logits = batched_logits(models[name], tokenizer, encodings, batch_size)
        return float((logits.argmax(axis=1) == np.array(dev[name]["label"])).mean())
    return None


class _BatchStream:
    """Endless length-grouped batches over one task's examples, reshuffled every pass.

    Shuffle, cut into mega-batches of 50 batches, sort each by length, split, shuffle the batches:
    the grouping transformers' LengthGroupedSampler uses, so padding stays small but order stays random.
    """

    def __init__(self, encodings: list[dict], labels: list[int], batch_size: int, rng: np.random.Generator):
        self.encodings, self.labels, self.batch_size, self.rng = encodings, labels, batch_size, rng
        self.queue: list[list[int]] = []

    def __len__(self) -> int:
        return math.ceil(len(self.encodings) / self.batch_size)

    def _refill(self) -> None:
        order = self.rng.permutation(len(self.encodings))
        mega = self.batch_size * 50
        batches = []
        for start in range(0, len(order), mega):
            part = sorted(order[start:start + mega].tolist(), key=lambda i: len(self.encodings[i]["input_ids"]))
            batches += [part[k:k + self.batch_size] for k in range(0, len(part), self.batch_size)]
        self.queue = [batches[i] for i in self.rng.permutation(len(batches))]

    def next_batch(self, tokenizer):
        import torch

        if not self.queue:
            self._refill()
        idx = self.queue.pop()
        features = tokenizer.pad([self.encodings[i] for i in idx], return_tensors="pt")
        return features, torch.tensor([self.labels[i] for i in idx])
