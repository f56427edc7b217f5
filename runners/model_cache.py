"""Models kept between the cells of one process, so a run's checkpoint is loaded once, not once per cell.

A 117M-parameter encoder takes 4 to 5 s to load on 2 CPU cores, about as long as predicting 300 inputs
(docs/dependencies.md), and every prediction and victim attack cell of a run reads the same checkpoint.
The fill orders and batches a run's cells of one kind together (xstore.fill), and this cache keeps the
models it loaded for the cells that follow: a serial fill, each local worker and each cluster job has one.

A model is found again by its checkpoint path, the sha256 recorded for it (so a path filled again with
other weights is never mistaken for the old one), its class and load arguments. At most `keep` models are
held, least recently used dropped first; the default 1 holds no more than a fill held before (one model
while a cell computes). Raise it with `[predict] keep_models` in the spec or `XSTORE_KEEP_MODELS` (which
wins: it is set where the memory is known, e.g. in a job script), 0 to load afresh for every batch (a run's
predictions of one kind are scored together, with one model: runners/predict.py run_batch).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from xstore.errors import UserError

ENV = "XSTORE_KEEP_MODELS"


@dataclass(frozen=True)
class Load:
    """One model read from disk by this process (cache hits are not loads)."""

    path: str
    sha256: str
    model_class: str
    seconds: float
    kind: str  # the kind of the cell that asked for it
    cell_key: str


#: Called with every Load, in order: what tests and benchmarks count loads with.
listeners: list[Callable[[Load], None]] = []


class ModelCache:
    """(model, tokenizer) pairs by checkpoint, hash, class and load arguments, least recently used first."""

    def __init__(self) -> None:
        self._held: OrderedDict[tuple, tuple] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def get(self, path: Path, sha256: str, model_class, keep: int, **kwargs) -> tuple[object, object, float | None]:
        """The model and tokenizer of checkpoint `path` on the fill's device, and the seconds spent loading
        them (None when they were held).

        Before loading, models beyond `keep - 1` are dropped, so at most `keep` are held (and one in use at 0).
        """
        key = (str(path), sha256, f"{model_class.__module__}.{model_class.__qualname__}",
               tuple(sorted(kwargs.items())))
        if key in self._held:
            self._held.move_to_end(key)
            model, tokenizer = self._held[key]
            return model, tokenizer, None
        while self._held and len(self._held) >= max(keep, 1):
            self._drop(next(iter(self._held)))
        t0 = time.perf_counter()
        model, tokenizer = _load(path, model_class, kwargs)
        seconds = time.perf_counter() - t0
        if keep > 0:
            self._held[key] = (model, tokenizer)
        return model, tokenizer, seconds

    def clear(self) -> None:
        """Drop every model (and give the GPU's cached blocks back)."""
        for key in list(self._held):
            self._drop(key)

    def _drop(self, key: tuple) -> None:
        del self._held[key]
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _load(path: Path, model_class, kwargs: dict) -> tuple[object, object]:
    from transformers import AutoTokenizer

    from xstore.runners.common import device

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = model_class.from_pretrained(path, **kwargs).to(device()).eval()
    return model, tokenizer


#: This process's cache: one per serial fill, local worker or cluster job.
CACHE = ModelCache()


def keep_models(spec) -> int:
    """How many models a process keeps: $XSTORE_KEEP_MODELS, else the spec's `[predict] keep_models`."""
    value = os.environ.get(ENV)
    if value is None or value == "":
        return spec.predict.keep_models
    try:
        keep = int(value)
    except ValueError:
        keep = -1
    if keep < 0:
        raise UserError(f"{ENV}={value!r}: give a whole number of models to keep between cells (0 or more)")
    return keep


def model_for(ctx, path: Path, sha256: str, model_class, **kwargs) -> tuple[object, object]:
    """The model and tokenizer of checkpoint `path` for cell `ctx`, from this process's cache or disk.

    A load's seconds (with the dropping of models it made room for) go to the cell's `load_seconds` and it
    counts in `models_loaded`; listeners hear of it. Finding the model held is neither: it is compute time.
    """
    t0 = time.perf_counter()
    model, tokenizer, seconds = CACHE.get(path, sha256, model_class, keep_models(ctx.spec), **kwargs)
    if seconds is not None:
        ctx.times.load += time.perf_counter() - t0
        ctx.times.models_loaded += 1
        load = Load(str(path), sha256, f"{model_class.__module__}.{model_class.__qualname__}", seconds,
                    ctx.cell.kind, ctx.cell.key)
        for listener in listeners:
            listener(load)
    return model, tokenizer
