"""Training: examples/s of an `xstore fill` training cell against transformers' Trainer with the same settings.

xstore runs through its public path: a spec (one base model, no intermediate task, one target, one seed)
filled by xstore.fill, and the run read back from `training_run` and `training_step`. The target is XNLI
when the task catalogue has it (its local layout, in a temporary [data] folder: train-en.tsv holds the
XNLI dev pairs of all 15 languages, real multilingual text; dev-en.tsv 64 English pairs, for xstore's
model selection at the end), else the packaged `demo-nli`; the output says which. The Trainer then trains
the same start model (same files, same seed before the head is initialised) on the very rows xstore
stored in `example`, with the same batch size, gradient accumulation, steps, learning rate, linear
schedule with warmup, weight decay, clipping and max length; dynamic padding (DataCollatorWithPadding),
length-grouped sampling (as xstore's batches), no evaluation, no checkpoints, no reporting, bf16 on CUDA.

Two figures each: the training loop (examples/s at the median time between two optimizer steps, timed by
a global optimizer hook: setup is left out, and a step slowed by other work on a shared machine counts
little) and end to end (xstore: `training_run.wall_seconds`, which includes loading, tokenizing the whole
training set, the dev evaluation and saving the checkpoint; the Trainer: building and tokenizing its
dataset, loading the model, training). The fill's share of wall time spent writing rows is reported too
(bench/fill_share.py's timers).
Run: python bench/train.py [--size base|small|mini|tiny] [--max-steps N] [--batch-size N] [--grad-accum N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (SIZES, build_xlmr, device_name, print_table, result, xnli_dir, xnli_pairs)  # noqa: E402
from fill_share import timed_fill, write_rows  # noqa: E402

SEED = 1
MAX_LENGTH = 128  # XTREME's sentence-task length, xstore's default for XNLI
# Phang et al. 2020's recipe as xstore.spec.TrainSettings has it; only batch and steps are the bench's own.
LEARNING_RATE, WARMUP, WEIGHT_DECAY, MAX_GRAD_NORM, LOG_EVERY = 1e-5, 0.06, 0.1, 1.0, 10


def _target() -> str:
    """XNLI once the catalogue has it (its entry reads XTREME's local layout), else the packaged demo NLI task."""
    from xstore.tasks import TASKS

    return "xnli" if "xnli" in TASKS else "demo-nli"


def _write_xnli_folder(folder: Path, pairs: list[dict]) -> None:
    """XTREME's layout: train-en.tsv (every pair given) and dev-en.tsv (the first 64 English pairs)."""
    import csv

    from common import NLI_LABELS

    folder.mkdir(parents=True)
    for name, rows in (("train-en.tsv", pairs), ("dev-en.tsv", [p for p in pairs if p["language"] == "en"][:64])):
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerows([r["text_a"], r["text_b"], NLI_LABELS[r["label"]]] for r in rows)


def _spec(tmp: Path, target: str, batch_size: int, grad_accum: int, max_steps: int) -> Path:
    data = f'\n[data]\n{target} = "data"\n' if target == "xnli" else ""
    path = tmp / "bench.toml"
    path.write_text(f'''database = "bench.duckdb"

[grid]
base_models = ["model"]
intermediate = ["none"]
targets = ["{target}"]
languages = ["en"]
seeds = [{SEED}]

[train.target]
batch_size = {batch_size}
grad_accum_steps = {grad_accum}
max_steps = {max_steps}
max_length = {MAX_LENGTH}
learning_rate = {LEARNING_RATE}
warmup_ratio = {WARMUP}
weight_decay = {WEIGHT_DECAY}
max_grad_norm = {MAX_GRAD_NORM}
log_every = {LOG_EVERY}
checkpoint_every = 0              # no resumable states: the Trainer saves none either

[predict]
eval_splits = ["dev"]
{data}''')
    return path


class _StepClock:
    """perf_counter at every optimizer step of any torch optimizer (a global post-step hook)."""

    def __enter__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.times: list[float] = []
        self._handle = register_optimizer_step_post_hook(lambda *_: self.times.append(time.perf_counter()))
        return self

    def __exit__(self, *exc):
        self._handle.remove()

    def rate(self, examples_per_step: int) -> float:
        """Examples/s at the median time between two steps: the loop in steady state, setup left out, and
        robust to a few steps slowed by other work on a shared machine."""
        import numpy as np

        return examples_per_step / float(np.median(np.diff(self.times)))


def _trainer(folder: Path, rows: list[dict], out: Path, batch_size: int, grad_accum: int, max_steps: int):
    """Train with transformers' Trainer; returns (seconds end to end, optimizer-step clock, mean training loss)."""
    import datasets
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              PrinterCallback, Trainer, TrainingArguments)

    datasets.disable_progress_bars()

    cuda = torch.cuda.is_available()
    t0 = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    dataset = datasets.Dataset.from_list(rows).map(
        lambda b: tokenizer(b["text_a"], b["text_b"], truncation=True, max_length=MAX_LENGTH),
        batched=True, remove_columns=["text_a", "text_b"])
    torch.manual_seed(SEED)  # as xstore seeds before loading: the same fresh classification head
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3)
    args = TrainingArguments(
        output_dir=str(out), per_device_train_batch_size=batch_size, gradient_accumulation_steps=grad_accum,
        max_steps=max_steps, learning_rate=LEARNING_RATE, lr_scheduler_type="linear", warmup_steps=WARMUP,
        weight_decay=WEIGHT_DECAY, max_grad_norm=MAX_GRAD_NORM, train_sampling_strategy="group_by_length",
        eval_strategy="no", save_strategy="no", report_to="none", logging_steps=LOG_EVERY, disable_tqdm=True,
        bf16=cuda, seed=SEED, dataloader_num_workers=0, dataloader_pin_memory=cuda)
    trainer = Trainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer))
    trainer.remove_callback(PrinterCallback)  # its log lines would land in the middle of the table
    # The sequence-classification models take **kwargs, so the Trainer takes them to normalise their loss by
    # num_items_in_batch, which they ignore (plain mean cross-entropy): it would then skip dividing by the
    # accumulation steps, making gradients grad_accum times larger (and clipping act differently) and logging
    # grad_accum times the loss. Off, it divides like xstore does: the same gradients.
    trainer.model_accepts_loss_kwargs = False
    with _StepClock() as clock:
        output = trainer.train()
    return time.perf_counter() - t0, clock, output.training_loss


def _missing() -> str:
    """Why this bench cannot run here, or "" when it can."""
    import importlib.util

    if xnli_dir(required=False) is None:
        return "no XNLI dev files (set XNLI_DIR)"
    if importlib.util.find_spec("accelerate") is None:
        return "transformers' Trainer needs accelerate: pip install 'accelerate>=1.1'"
    return ""


def measure(size: str, batch_size: int, grad_accum: int, max_steps: int, xnli: str | None = None) -> list[dict]:
    import duckdb
    import torch
    from transformers import Trainer  # noqa: F401  imported before either side is timed, so neither pays for it

    from xstore.runners.common import quiet_transformers

    quiet_transformers()
    target = _target()
    pairs = xnli_pairs(xnli_dir(xnli))
    per_step = batch_size * grad_accum
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        folder = build_xlmr(tmp / "model", [t for p in pairs for t in (p["text_a"], p["text_b"])], size)
        if target == "xnli":
            _write_xnli_folder(tmp / "data", pairs)
        spec = _spec(tmp, target, batch_size, grad_accum, max_steps)
        with _StepClock() as ours:
            report, fill_seconds, spent = timed_fill(spec)
        con = duckdb.connect(str(tmp / "bench.duckdb"), read_only=True)
        wall, steps, n_train = con.execute("SELECT wall_seconds, steps, train_examples FROM training_run").fetchall()[0]
        # each training_step row is the mean loss since the previous row: weight it by the steps it covers
        our_loss = con.execute(
            "SELECT sum(loss * covered) / sum(covered) FROM (SELECT loss, "
            "step - coalesce(lag(step) OVER (ORDER BY step), 0) AS covered FROM training_step)").fetchall()[0][0]
        rows = con.sql("SELECT e.text_a, e.text_b, e.label FROM example e JOIN cell c ON c.key = e.cell_key "
                       "WHERE c.params->>'split' = 'train' ORDER BY e.idx").to_arrow_table().to_pylist()
        con.close()
        assert steps == max_steps == len(ours.times) and len(rows) == n_train, (steps, len(ours.times), len(rows))
        # xstore's seeding turns on torch's deterministic algorithms for the process; the Trainer's default is off
        torch.use_deterministic_algorithms(False)
        theirs_wall, theirs, their_loss = _trainer(folder, rows, tmp / "trainer", batch_size, grad_accum, max_steps)
    assert len(theirs.times) == max_steps, len(theirs.times)

    dims = SIZES[size]
    what = (f"{target} ({n_train:,} train pairs), {size} ({dims['hidden_size']}x{dims['num_hidden_layers']}), "
            f"{max_steps} steps of {batch_size}x{grad_accum}")
    loop, their_loop = ours.rate(per_step), theirs.rate(per_step)
    whole, their_whole = steps * per_step / wall, max_steps * per_step / theirs_wall
    cells = sum(report.computed.values())
    return [
        result("train", f"xstore training loop, {what}", loop, "examples/s", "Trainer, same settings",
               loop / their_loop, ">= 1.0x"),
        result("train", "  Trainer training loop", their_loop, "examples/s"),
        result("train", f"  xstore end to end (training_run.wall_seconds {wall:.1f} s)", whole, "examples/s",
               "Trainer end to end", whole / their_whole),
        result("train", f"  Trainer end to end ({theirs_wall:.1f} s)", their_whole, "examples/s"),
        result("train", f"  mean training loss: xstore (Trainer {their_loss:.3f})", our_loss, ""),
        result("train", f"  the fill ({cells} cells: load, train, predict dev): wall time", fill_seconds, "s"),
        *write_rows("train", fill_seconds, spent),
    ]


def _defaults(gpu: bool) -> tuple[str, int, int, int]:
    """(size, batch, accumulation, steps): xlm-roberta-base's dimensions on a GPU; on 2 busy CPU cores a step of
    the small model (384x6) over 8x4 examples took 13 s, so the mini one (256x4) for 32 steps of 8x2 keeps the
    run near 2 minutes."""
    return ("base", 32, 1, 300) if gpu else ("mini", 8, 2, 32)


def run(quick: bool = False) -> list[dict]:
    import torch

    if _missing():
        print(f"train: skipped, {_missing()}", file=sys.stderr)
        return []
    if quick:
        return measure("tiny", 8, 2, 6)
    return measure(*_defaults(torch.cuda.is_available()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default=None,
                        help="model dimensions (default: base, xlm-roberta-base's, on a GPU; mini on a CPU)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 32 on a GPU, 8 on a CPU")
    parser.add_argument("--grad-accum", type=int, default=None, help="default: 1 on a GPU, 2 on a CPU")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="optimizer steps (default: 300 on a GPU, 32 on a CPU)")
    parser.add_argument("--xnli", default=None, help="folder of XNLI dev-{lang}.tsv[.gz] (default: $XNLI_DIR)")
    parser.add_argument("--quick", action="store_true", help="the tiny model for 6 steps, for a smoke run")
    args = parser.parse_args()
    if args.xnli is None and _missing():
        raise SystemExit(f"bench/train.py: {_missing()}")
    if args.quick:
        out = run(quick=True)
    else:
        import torch

        size, batch, accum, steps = _defaults(torch.cuda.is_available())
        out = measure(args.size or size, args.batch_size or batch, args.grad_accum or accum, args.max_steps or steps,
                      args.xnli)
    print_table(out, f"training on {device_name()}")
