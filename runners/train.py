"""The `train_intermediate` and `train_target` cells: STILTs phases 2 and 3, one straight-line loop.

Phase 2 fine-tunes the pretrained encoder on one English intermediate task, or several at once with
examples-proportional sampling (one shared encoder, one head per task, of any head kind), and keeps only
the encoder (the task heads are discarded, as in Phang et al. 2020). Phase 3 starts from that encoder
(or the pretrained one for "none"), puts a fresh head on it and fine-tunes on the target task's English
training set. Retrieval targets are not trained: their run records the start encoder as its checkpoint.

Model selection on English dev: at the end of every epoch (and every `eval_every` steps, when set) the
phase's dev set is scored (for several tasks, the mean of their dev scores; see each head's METRIC), and
the best evaluation (the earlier one on ties) is the checkpoint kept. It is written to disk when it
improves, so no copy of a large model is held in memory, and becomes `runs/<key>` at the end. Without a
dev set the final model is kept.

Resume: every `checkpoint_every` optimizer steps the whole training state is saved (runners/resume.py),
and a training killed midway goes on from the last state, with the result of an uninterrupted one.
The fault point "train_step" (xstore.faults) follows every optimizer step, for the reliability tests.
"""
from __future__ import annotations

import math
import os
import shutil
import time

import numpy as np
import pyarrow as pa

from xstore import faults, integrity
from xstore.errors import UserError
from xstore.runners import CellKind, model_cache
from xstore.runners import models as base_models
from xstore.runners import phase2
from xstore.runners.common import device, example_dicts, forward_inputs, quiet_transformers
from xstore.runners.heads._batches import feature_length
from xstore.runners.resume import Resume
from xstore.runners.rows import model_rows
from xstore.schema import TrainingRun
from xstore.spec import TrainSettings


def run(ctx) -> dict[str, pa.Table]:
    import torch
    from transformers import AutoTokenizer

    quiet_transformers()
    cell, p = ctx.cell, ctx.cell.params
    t0 = time.perf_counter()
    names = list(p["tasks"])
    # A task whose labels come from its data (CCG's supertags, tags.txt) gets them here, to size its head.
    tasks = {name: phase2.entry(ctx, name) for name in names}
    # Unset settings come from the task's catalogue entry (one task) or the phase fallbacks (several).
    hp = TrainSettings(**p["hparams"]).for_task(phase2.defaults_task(tasks))
    heads = {name: phase2.head(ctx, name, task) for name, task in tasks.items()}
    # Not part of the cell key (resuming changes no result), so it is read from the spec itself.
    every = getattr(ctx.spec.train, p["phase"]).checkpoint_every or 0

    # -- fetch: the start model and the English training (and dev) examples, by key --
    base_path, base_row = base_models.resolve(p["base_model"], ctx.spec, ctx.store.artifacts)
    start, parent = base_path, None
    if "intermediate" in cell.parents:
        parent = ctx.fetch("SELECT checkpoint_path, checkpoint_sha256 FROM training_run WHERE key = ?",
                           [cell.parents["intermediate"]]).to_pylist()[0]
        start = str(integrity.checkpoint(ctx.store, parent["checkpoint_path"], cell.parents["intermediate"]))
    if not all(head.TRAINED for head in heads.values()):
        return _untrained_run(ctx, tasks, base_path, base_row, parent, t0)
    data = {name: [e for role in phase2.training_roles(cell, name) for e in _examples(ctx, role)] for name in names}
    dev = {name: _examples(ctx, f"dev:{name}") for name in names if f"dev:{name}" in cell.parents}

    # -- compute --
    model_cache.CACHE.clear()  # a training needs the memory more than a later cell needs a model kept for it
    _seed_everything(p["seed"])
    try:
        with ctx.timed("load"):
            tokenizer = AutoTokenizer.from_pretrained(start)
            models = {name: heads[name].model_class().from_pretrained(start, **heads[name].model_kwargs(tasks[name]))
                      for name in names}
        ctx.times.models_loaded += len(models)
    except OSError as err:
        raise base_models.load_error(p["base_model"], err) from None
    if parent is None:
        base_models.record_revision(base_row, models[names[0]].config)
    encoder = _share_encoder(models)
    phase2.tie_heads(models, heads, encoder)
    dev_device = device()
    for model in models.values():
        model.to(dev_device)

    # hp.max_length None: each task's own (TaskEntry.max_length: 128, or 384 for question answering).
    max_length = {name: hp.max_length or tasks[name].max_length for name in names}
    features = {name: heads[name].encode(tokenizer, data[name], max_length[name]) for name in names}
    dev_features = {name: heads[name].encode(tokenizer, dev[name], max_length[name]) for name in dev}
    rng = np.random.default_rng(p["seed"])
    batches = {name: _BatchStream(features[name], heads[name], tokenizer, hp.batch_size, rng) for name in names}
    # Examples-proportional mixing (Raffel et al. 2020, T5 §3.5.2): a task is drawn with probability
    # proportional to its training-set size, counted in features (a long SQuAD context is several
    # windows). No cap: Phang et al. 2020 mix their nine tasks uncapped.
    sizes = np.array([len(features[name]) for name in names], dtype=np.float64)
    mix = sizes / sizes.sum()
    pick = phase2.picker(names, mix, rng, p.get("mlm"), hp.grad_accum_steps)

    steps_per_epoch = max(1, math.ceil(phase2.epoch_batches(batches, p.get("mlm")) / hp.grad_accum_steps))
    total = max(1, math.ceil(hp.epochs * steps_per_epoch))
    if hp.max_steps:
        total = min(total, hp.max_steps)
    params = list({id(prm): prm for m in models.values() for prm in m.parameters()}.values())
    optimizer, schedule = _optimizer(params, models, hp, total)
    checkpoint = ctx.store.artifacts / "runs" / cell.key
    tmp = checkpoint.with_name(checkpoint.name + f".tmp-{os.getpid()}")
    resume = Resume(checkpoint.with_name(checkpoint.name + ".resume"), every, total, started=t0)
    with ctx.timed("load"):
        progress = resume.restore(models, optimizer, schedule, rng, batches, dev_device)
    ctx.times.resumed = resume.earlier
    if progress.step:
        ctx.log(f"{cell.kind} {cell.describe()}: resumed from step {progress.step} of {total}")
    classification = all(task.head == "classification" for name, task in tasks.items() if name != "mlm")
    for model in models.values():
        model.train()
    for step in range(progress.step + 1, total + 1):
        for micro in range(hp.grad_accum_steps):
            name = pick(step, micro)
            inputs, targets = batches[name].next_batch()
            inputs = {k: v.to(dev_device) for k, v in forward_inputs(models[name], inputs).items()}
            targets = {k: v.to(dev_device) for k, v in targets.items()}
            with torch.autocast(dev_device.type, dtype=torch.bfloat16, enabled=dev_device.type == "cuda"):
                loss = heads[name].loss(models[name], inputs, targets, hp.label_smoothing) / hp.grad_accum_steps
            loss.backward()
            progress.running += loss.item()
        torch.nn.utils.clip_grad_norm_(params, hp.max_grad_norm)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        progress.step = step
        end_of_epoch = step % steps_per_epoch == 0 or step == total
        evaluate = bool(dev) and (end_of_epoch or (hp.eval_every is not None and step % hp.eval_every == 0))
        if step % hp.log_every == 0 or end_of_epoch or evaluate:
            score = None
            if evaluate:
                score = _dev_score(models, heads, tokenizer, dev, dev_features, ctx.spec.predict.batch_size)
                if progress.best is None or score > progress.best[0]:  # ties keep the earlier checkpoint
                    _save(models[names[0]], encoder, p["phase"], tokenizer, resume.best_folder(step, tmp))
                    progress.best = (score, step)
                    resume.selected(step)
            # the mean loss over the optimizer steps since the previous row
            progress.rows.append({"run_key": cell.key, "step": step,
                                  "loss": progress.running / (step - progress.logged),
                                  "learning_rate": schedule.get_last_lr()[0],
                                  "dev_accuracy": score if classification else None, "dev_score": score})
            progress.running, progress.logged = 0.0, step
            for model in models.values():
                model.train()
        resume.after_step(progress, models, optimizer, schedule, rng, batches)
        faults.reached("train_step")
    if not all(math.isfinite(row["loss"]) for row in progress.rows):
        shutil.rmtree(tmp, ignore_errors=True)
        resume.abandon()
        raise UserError("training diverged (non-finite loss); lower the learning rate")

    # -- save: phase 2 keeps the encoder only, phase 3 the whole model; the best dev checkpoint if any --
    if not resume.finish(progress, tmp):
        _save(models[names[0]], encoder, p["phase"], tokenizer, tmp)
    shutil.rmtree(checkpoint, ignore_errors=True)  # left by an attempt killed before its row was written
    os.replace(tmp, checkpoint)

    dev_score, selected = progress.best if progress.best is not None else (None, total)
    run_row = _run_row(ctx, checkpoint=str(checkpoint.relative_to(ctx.store.artifacts)),
                       sha256=base_models.weights_hash(checkpoint), seconds=resume.seconds(), steps=total,
                       train_examples=sum(len(d) for d in data.values()),
                       dev_metric=_metric_name(heads, dev) if dev else None, dev_score=dev_score,
                       dev_accuracy=dev_score if classification else None, selected_step=selected)
    return {
        "pretrained_model": model_rows([base_row]),
        "training_run": model_rows([run_row]),
        "training_step": pa.Table.from_pylist(progress.rows),
    }


KINDS = (
    CellKind("train_intermediate", order=1, version=2, run=run),  # 2: model selection on English dev
    CellKind("train_target", order=2, version=2, run=run),  # 2: model selection on English dev
)


def _untrained_run(ctx, tasks, base_path, base_row, parent, t0) -> dict[str, pa.Table]:
    """A retrieval target: no training data, so the run is its start encoder (XTREME evaluates it as is)."""
    from transformers import AutoModel, AutoTokenizer

    cell, p = ctx.cell, ctx.cell.params
    if p["phase"] != "target" or len(tasks) > 1:
        raise UserError(f"{', '.join(tasks)}: retrieval tasks are evaluated with the encoder as it is; "
                        "they cannot be trained, in phase 2 or together with other tasks")
    if parent is not None:  # the phase-2 encoder itself, not a copy
        path, sha256 = parent["checkpoint_path"], parent["checkpoint_sha256"]
    else:
        _seed_everything(p["seed"])
        checkpoint = ctx.store.artifacts / "runs" / cell.key
        tmp = checkpoint.with_name(checkpoint.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            with ctx.timed("load"):
                encoder = AutoModel.from_pretrained(base_path)
                tokenizer = AutoTokenizer.from_pretrained(base_path)
            ctx.times.models_loaded += 1
        except OSError as err:
            raise base_models.load_error(p["base_model"], err) from None
        base_models.record_revision(base_row, encoder.config)
        encoder.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        shutil.rmtree(checkpoint, ignore_errors=True)
        os.replace(tmp, checkpoint)
        path, sha256 = str(checkpoint.relative_to(ctx.store.artifacts)), base_models.weights_hash(checkpoint)
    run_row = _run_row(ctx, checkpoint=path, sha256=sha256, seconds=time.perf_counter() - t0, steps=0,
                       train_examples=0, dev_metric=None,
                       dev_score=None, dev_accuracy=None, selected_step=0)
    return {"pretrained_model": model_rows([base_row]), "training_run": model_rows([run_row])}


def _run_row(ctx, *, checkpoint, sha256, seconds, steps, train_examples, dev_metric, dev_score, dev_accuracy,
             selected_step) -> TrainingRun:
    cell, p = ctx.cell, ctx.cell.params
    return TrainingRun(
        key=cell.key, phase=p["phase"], base_model=p["base_model"], intermediate=p["intermediate"],
        task=p["task"], seed=p["seed"], parent_key=cell.parents.get("intermediate"), hparams=p["hparams"],
        code_version=p["kind_version"], task_versions=p["task_versions"], status="done",
        checkpoint_path=checkpoint, checkpoint_sha256=sha256, wall_seconds=seconds,
        steps=steps, train_examples=train_examples, dev_accuracy=dev_accuracy,
        dev_metric=dev_metric, dev_score=dev_score, selected_step=selected_step,
    )


def _examples(ctx, role: str) -> list[dict]:
    table = ctx.fetch("SELECT text_a, text_b, label, fields FROM example WHERE cell_key = ? ORDER BY idx",
                      [ctx.cell.parents[role]])
    return example_dicts(table)


def _seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _share_encoder(models: dict):
    """Point every task model at one encoder, so it trains under every head; returns that encoder.

    The first model's encoder, unless a head pools <s> through the encoder's pooler (multiple choice):
    then the first encoder that has one, since the other heads ignore it.
    """
    with_pooler = [m for m in models.values() if getattr(m.base_model, "pooler", None) is not None]
    encoder = (with_pooler or list(models.values()))[0].base_model
    for model in models.values():
        setattr(model, model.base_model_prefix, encoder)
    return encoder


def _save(model, encoder, phase: str, tokenizer, folder) -> None:
    """Phase 2 keeps the shared encoder (its heads are discarded); phase 3 the whole model."""
    shutil.rmtree(folder, ignore_errors=True)
    (encoder if phase == "intermediate" else model).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _optimizer(params: list, models: dict, hp: TrainSettings, total: int):
    """AdamW and a linear schedule: warm up over `warmup_ratio` of the steps, then decay to 0 at `total`."""
    import torch

    # The fused AdamW kernel (one kernel for all tensors; torch >= 2.4 on CPU and CUDA) is what the
    # transformers Trainer uses; the default per-tensor loop took 7x longer per step here (bench/train.py).
    try:
        optimizer = torch.optim.AdamW(_param_groups(params, models, hp.weight_decay), lr=hp.learning_rate, fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older torch, or a device without the fused kernel
        optimizer = torch.optim.AdamW(_param_groups(params, models, hp.weight_decay), lr=hp.learning_rate)
    warmup = int(hp.warmup_ratio * total)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
    return optimizer, schedule


def _param_groups(params, models, weight_decay: float) -> list[dict]:
    """No weight decay on biases and LayerNorm weights, as in BERT's and RoBERTa's recipes."""
    no_decay = {id(prm) for m in models.values() for n, prm in m.named_parameters()
                if n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n}
    params = list(params)
    return [
        {"params": [prm for prm in params if id(prm) not in no_decay], "weight_decay": weight_decay},
        {"params": [prm for prm in params if id(prm) in no_decay], "weight_decay": 0.0},
    ]


def _dev_score(models, heads, tokenizer, dev, dev_features, batch_size) -> float:
    """English dev score: the task's METRIC, or the mean over the tasks that have a dev set."""
    scores = [heads[name].dev_score(heads[name].predict(models[name], tokenizer, dev[name], dev_features[name], batch_size))
              for name in dev]
    return float(np.mean(scores))


def _metric_name(heads, dev) -> str:
    if len(dev) == 1:
        return heads[next(iter(dev))].METRIC
    return "mean(" + ", ".join(f"{name}:{heads[name].METRIC}" for name in dev) + ")"


class _BatchStream:
    """Endless length-grouped batches over one task's features, reshuffled every pass.

    Shuffle, cut into mega-batches of 50 batches, sort each by length, split, shuffle the batches:
    the grouping transformers' LengthGroupedSampler uses, so padding stays small but order stays random.
    """

    def __init__(self, features: list[dict], head, tokenizer, batch_size: int, rng: np.random.Generator):
        self.features, self.head, self.tokenizer, self.batch_size, self.rng = features, head, tokenizer, batch_size, rng
        self.queue: list[list[int]] = []

    def __len__(self) -> int:
        return math.ceil(len(self.features) / self.batch_size)

    def _refill(self) -> None:
        order = self.rng.permutation(len(self.features))
        mega = self.batch_size * 50
        batches = []
        for start in range(0, len(order), mega):
            part = sorted(order[start:start + mega].tolist(), key=lambda i: feature_length(self.features[i]))
            batches += [part[k:k + self.batch_size] for k in range(0, len(part), self.batch_size)]
        self.queue = [batches[i] for i in self.rng.permutation(len(batches))]

    def next_batch(self):
        """(model inputs, training targets) of the next batch, as the head collates them."""
        if not self.queue:
            self._refill()
        return self.head.collate(self.tokenizer, [self.features[i] for i in self.queue.pop()])
