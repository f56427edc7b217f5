"""What phase 2 does differently for Phang et al. 2020's alternatives: "TASK+mlm" and "TASK@translated".

train.py calls these where a phase-2 part is looked up, read, headed and drawn; for plain tasks each returns
what train.py did before (the same entries, examples and random draws), so plain runs are unchanged.
"""

from __future__ import annotations

import dataclasses

from xstore.catalog import get_task
from xstore.runners.heads import head_module
from xstore.runners.heads.masked_lm import MaskedLMHead
from xstore.tasks.mlm import NAME as MLM, mlm_entry
from xstore.tasks.translated import SUFFIX, translated_entry


def entry(ctx, name: str):
    """The task entry of one part: the catalogue's (labels from its [data] folder where they come from data),
    its translated variant, or the MLM text's."""
    p = ctx.cell.params
    if name == MLM:
        return mlm_entry(p["mlm"]["source"], p["mlm"]["languages"], p["mlm"]["lines_per_language"])
    if name.endswith(SUFFIX):
        return translated_entry(name)
    task = get_task(name)
    return dataclasses.replace(task, labels=task.label_set(ctx.spec.data_dir(name)))


def defaults_task(tasks: dict):
    """The task whose catalogue defaults fill unset settings: the only one (MLM aside, so "squad+mlm" trains with
    SQuAD's settings as "squad" does), or None for several tasks (the phase fallbacks)."""
    own = [task for name, task in tasks.items() if name != MLM]
    return own[0] if len(own) == 1 else None


def head(ctx, name: str, task):
    """The head of one part: the task's head module, or the masked-LM head at the cell's masking rate."""
    if name == MLM:
        mlm = ctx.cell.params["mlm"]
        mask_share, random_share = mlm["replace"]
        return MaskedLMHead(mlm["mask_rate"], mask_share, random_share)
    return head_module(task.head)


def training_roles(cell, name: str) -> list[str]:
    """The parent roles holding a part's training examples: "train:NAME", or one "train:NAME:LANG" per language
    (translated data and MLM text), in the planner's order; their examples are laid end to end, so each example
    is drawn as often as any other and each language in proportion to its size."""
    return [role for role in cell.parents if role == f"train:{name}" or role.startswith(f"train:{name}:")]


def tie_heads(models: dict, heads: dict, encoder) -> None:
    """After the encoder is shared: point each MLM output layer at the shared input embeddings."""
    for name, model in models.items():
        if isinstance(heads[name], MaskedLMHead):
            heads[name].tie_to(model, encoder)


def picker(names: list[str], mix, rng, mlm: dict | None, accumulation: int):
    """pick(step, micro) -> the part whose batch comes next.

    Plain settings: examples-proportional draws (mix) as before. With mixing "alternate", every second batch
    is MLM and the others are drawn among the tasks as without MLM; "proportional" leaves MLM in `mix`.
    """
    if mlm is None or mlm["mixing"] == "proportional":
        if len(names) == 1:
            return lambda step, micro: names[0]
        return lambda step, micro: names[int(rng.choice(len(names), p=mix))]
    tasks = [i for i, name in enumerate(names) if name != MLM]
    share = mix[tasks] / mix[tasks].sum()

    def pick(step: int, micro: int) -> str:
        if ((step - 1) * accumulation + micro) % 2 == 1:
            return MLM
        return names[tasks[0]] if len(tasks) == 1 else names[tasks[int(rng.choice(len(tasks), p=share))]]

    return pick


def epoch_batches(batches: dict, mlm: dict | None) -> int:
    """Batches in one epoch: every part's, or with "alternate" mixing twice the tasks' (each paired with an
    MLM batch), so an epoch is one pass over the task data as it is without MLM."""
    if mlm is None or mlm["mixing"] == "proportional":
        return sum(len(b) for b in batches.values())
    return 2 * sum(len(b) for name, b in batches.items() if name != MLM)
