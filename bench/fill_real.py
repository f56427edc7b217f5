"""A grid at real model size: the prediction stage of a fill against pure batched inference and a pipeline.

A serial `xstore fill` of 2 target runs (seeds 1 and 2, no intermediate task) x 4 XNLI languages x 300 pairs x
3 attack settings (clean; charnoise, model-independent noise; deepwordbug against each run with a small query
budget), on a model of multilingual-e5-small's shape built from a config with random weights and saved to
disk (BERT architecture, 12 layers x 384, 250,037-token embedding matrix: 118M parameters, 470 MB fp32; a
WordPiece tokenizer trained on the XNLI text, pairs with segment ids; there is no hub access). The pairs
are XNLI dev pairs from $XSTORE_TEST_DATA/xnli (or --xnli), written as the test split of a [data] folder.

Reported, all from one run:
- the prediction stage (every predict_clean and predict_perturbed cell: loading, reading, computing and
  writing, as the fill ran them) against pure batched inference of the same inputs by the same models
  (runners/common.py encode + batched_logits over each run's inputs, the models already loaded): goal 1.15x;
- model loads per process and per run and kind (from the cell rows): goal one per run and kind;
- that stage end to end against transformers' text-classification pipeline on the same inputs, counting
  its one load per run: goal >= 1.5x.
Stored, pure and pipeline logits must agree (max |difference| <= 1e-3) before anything is reported.
Run: python bench/fill_real.py [--pairs N] [--budget N] [--quick]   (--quick: the tiny shape, 10 pairs)
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NLI_LABELS, device_name, print_table, result, sample, xnli_dir, xnli_pairs  # noqa: E402

LANGUAGES = ("en", "de", "fr", "ru")  # the demo grid's languages: Latin and Cyrillic scripts
SEEDS = (1, 2)
BATCH_SIZE, MAX_LENGTH = 64, 128  # xstore's prediction batch (PredictSettings) and XTREME's sentence length
TOLERANCE = 1e-3  # float rounding only: batches are cut differently (bench/predict.py)
# multilingual-e5-small's config (BertModel over Multilingual-MiniLM-L12-H384): 12 x 384, 12 heads, 1536 wide
# feed-forward, 250,037 tokens (XLM-R's vocabulary), 512 positions, 2 segment types. "tiny" is for smoke runs.
SHAPES = {
    "e5-small": {"hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 1536,
                 "vocab_size": 250_037},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128,
             "vocab_size": 30_000},
}
PREDICT_KINDS = ("predict_clean", "predict_perturbed")


def build_model(folder: Path, texts: list[str], shape: str) -> Path:
    """A BERT encoder of `shape` (random weights) and a 30k WordPiece tokenizer trained on `texts`, saved."""
    import torch
    from transformers import BertConfig, BertModel

    from xstore.runners.models import wordpiece_tokenizer

    tokenizer = wordpiece_tokenizer(texts, vocab_size=30_000, lowercase=False)
    torch.manual_seed(0)
    config = BertConfig(max_position_embeddings=512, type_vocab_size=2, **SHAPES[shape])
    BertModel(config, add_pooling_layer=True).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _write_data(folder: Path, pairs: list[dict], per_language: int) -> None:
    """XTREME's XNLI layout: test-{lang}.tsv with `per_language` pairs each; train-en and dev-en from the rest."""
    folder.mkdir(parents=True)
    english = [p for p in pairs if p["language"] == "en"]
    files = {f"test-{lang}.tsv": sample([p for p in pairs if p["language"] == lang], per_language, seed=1)
             for lang in LANGUAGES}
    files["train-en.tsv"], files["dev-en.tsv"] = english[-200:], english[-264:-200]
    for name, rows in files.items():
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter="\t").writerows([r["text_a"], r["text_b"], NLI_LABELS[r["label"]]] for r in rows)


def _spec(tmp: Path, budget: int) -> Path:
    path = tmp / "bench.toml"
    path.write_text(f'''database = "bench.duckdb"

[grid]
base_models = ["model"]
intermediate = ["none"]
targets = ["xnli"]
languages = {list(LANGUAGES)}
seeds = {list(SEEDS)}
attacks = ["none", "charnoise", "deepwordbug"]
calibration = ["none"]

[attacks.deepwordbug]
query_budget = {budget}

[train.target]
batch_size = 8
grad_accum_steps = 1
max_steps = 2
max_length = {MAX_LENGTH}
checkpoint_every = 0

[predict]
batch_size = {BATCH_SIZE}
max_length = {MAX_LENGTH}

[data]
xnli = "data"
'''.replace("'", '"'))
    return path


def _timed_fill(spec_path: Path) -> tuple[float, dict]:
    """Fill serially; returns (wall seconds, seconds per cell kind: computing its batches plus writing its cells)."""
    import xstore.fill as fill_module
    from xstore.db import Store
    from xstore.spec import load_spec

    by_kind: dict[str, float] = {}
    compute_batch, write_cell = fill_module.compute_batch, Store.write_cell

    def timed_batch(cells, *args, **kwargs):  # the time spent inside the batch's generator, between its cells
        outcomes = compute_batch(cells, *args, **kwargs)
        while True:
            t0 = time.perf_counter()
            try:
                item = next(outcomes)
            except StopIteration:
                return
            finally:
                by_kind[cells[0].kind] = by_kind.get(cells[0].kind, 0.0) + time.perf_counter() - t0
            yield item

    def timed_write(self, row, tables):
        t0 = time.perf_counter()
        try:
            return write_cell(self, row, tables)
        finally:
            by_kind[row["kind"]] = by_kind.get(row["kind"], 0.0) + time.perf_counter() - t0

    fill_module.compute_batch, Store.write_cell = timed_batch, timed_write
    try:
        spec = load_spec(spec_path)
        t0 = time.perf_counter()
        report = fill_module.fill(spec, Store(spec.database_path))
        wall = time.perf_counter() - t0
    finally:
        fill_module.compute_batch, Store.write_cell = compute_batch, write_cell
    if report.exit_code != 0:
        raise SystemExit(f"the fill failed: {[(c.describe(), m) for c, m, _ in report.failed]}")
    return wall, by_kind


def _stored(store) -> dict:
    """Per run: its checkpoint folder and every predicted input (text_a, text_b) with its stored logits."""
    import numpy as np

    with store.connect(read_only=True) as con:
        rows = con.execute("""
            SELECT p.run_key, r.checkpoint_path, c.kind, p.cell_key, coalesce(t.text_a, e.text_a),
                   coalesce(t.text_b, e.text_b), p.logits
            FROM prediction p JOIN training_run r ON r.key = p.run_key JOIN example e ON e.id = p.example_id
            JOIN cell c ON c.key = p.cell_key LEFT JOIN perturbation t ON t.id = p.perturbation_id
            ORDER BY p.run_key, c.kind, p.cell_key, e.idx""").fetchall()
    runs: dict[str, dict] = {}
    for run, path, kind, cell, text_a, text_b, logits in rows:
        entry = runs.setdefault(run, {"checkpoint": store.artifacts / path, "cells": [], "kinds": [], "a": [], "b": [],
                                      "logits": []})
        entry["cells"].append(cell)
        entry["kinds"].append(kind)
        entry["a"].append(text_a)
        entry["b"].append(text_b)
        entry["logits"].append(logits)
    for entry in runs.values():
        entry["logits"] = np.array(entry["logits"], dtype=np.float32)
    return runs


def _pure(runs: dict) -> tuple[float, float]:
    """Seconds of encode + batched_logits over each run's inputs (models loaded beforehand, not timed), and
    the largest difference from the stored logits."""
    import numpy as np
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xstore.runners.common import batched_logits, device, encode

    seconds, diff = 0.0, 0.0
    for entry in runs.values():
        tokenizer = AutoTokenizer.from_pretrained(entry["checkpoint"])
        model = AutoModelForSequenceClassification.from_pretrained(entry["checkpoint"]).to(device()).eval()
        t0 = time.perf_counter()
        logits = batched_logits(model, tokenizer, encode(tokenizer, entry["a"], entry["b"], MAX_LENGTH), BATCH_SIZE)
        seconds += time.perf_counter() - t0
        diff = max(diff, float(np.abs(logits - entry["logits"]).max()))
        del model
    return seconds, diff


def _pipeline(runs: dict) -> tuple[float, float]:
    """Seconds of a text-classification pipeline per run, its load from the checkpoint folder included, and
    the largest difference from the stored logits."""
    import numpy as np
    from transformers import pipeline

    from xstore.runners.common import device

    seconds, diff = 0.0, 0.0
    for entry in runs.values():
        t0 = time.perf_counter()
        classifier = pipeline("text-classification", model=str(entry["checkpoint"]), device=device())
        outputs = classifier([{"text": a, "text_pair": b} for a, b in zip(entry["a"], entry["b"])],
                             batch_size=BATCH_SIZE, top_k=None, function_to_apply="none", truncation=True,
                             max_length=MAX_LENGTH)
        seconds += time.perf_counter() - t0
        label2id = classifier.model.config.label2id
        logits = np.empty_like(entry["logits"])
        for row, scores in zip(logits, outputs):  # top_k=None sorts each input's scores: back to class order
            for s in scores:
                row[label2id[s["label"]]] = s["score"]
        diff = max(diff, float(np.abs(logits - entry["logits"]).max()))
        del classifier
    return seconds, diff


def _padding(runs: dict) -> tuple[float, float, float]:
    """Tokens fed to the model per real token (bench/predict.py), with batches sorted within each cell (as a
    fill cut them before its cells shared batches), within each run's cells of one kind (as the fill cuts
    them now: runners/predict.py run_batch) and within each run's inputs (as the pure inference does)."""
    from itertools import groupby

    from transformers import AutoTokenizer

    from predict import _padding as fed

    per_cell, per_kind, per_run = [], [], []
    for entry in runs.values():
        tokenizer = AutoTokenizer.from_pretrained(entry["checkpoint"])
        lengths = [len(ids) for ids in tokenizer(entry["a"], entry["b"], truncation=True, max_length=MAX_LENGTH)["input_ids"]]
        per_run.append((fed(lengths, BATCH_SIZE, sort=True), sum(lengths)))
        for groups, into in ((entry["cells"], per_cell), (entry["kinds"], per_kind)):
            start = 0
            for _, group in groupby(groups):
                n = len(list(group))
                part = lengths[start:start + n]
                into.append((fed(part, BATCH_SIZE, sort=True), sum(part)))
                start += n
    weighted = lambda pairs: sum(ratio * real for ratio, real in pairs) / sum(real for _, real in pairs)  # noqa: E731
    return weighted(per_cell), weighted(per_kind), weighted(per_run)


def _loads(store) -> tuple[list, float]:
    """(kind, run, cells, processes, loads) of every cell that used a run's model, and their load seconds."""
    with store.connect(read_only=True) as con:
        rows = con.execute("""
            SELECT kind, coalesce(parents->>'run', parents->>'victim') AS run, count(*), count(DISTINCT pid),
                   sum(models_loaded), sum(load_seconds)
            FROM cell WHERE kind IN ('predict_clean', 'perturb', 'predict_perturbed') GROUP BY ALL
            HAVING run IS NOT NULL ORDER BY ALL""").fetchall()
    return [row[:5] for row in rows], sum(row[5] for row in rows)


def measure(shape: str, pairs: int, budget: int, xnli: str | None = None) -> list[dict]:
    import torch

    from xstore.db import Store
    from xstore.runners.common import quiet_transformers

    quiet_transformers()
    every = xnli_pairs(xnli_dir(xnli))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        build_model(tmp / "model", [t for p in every for t in (p["text_a"], p["text_b"])], shape)
        _write_data(tmp / "data", every, pairs)
        wall, by_kind = _timed_fill(_spec(tmp, budget))
        torch.use_deterministic_algorithms(False)  # the training cells leave it on; inference never asks for it
        store = Store(tmp / "bench.duckdb")
        runs = _stored(store)
        loads, load_seconds = _loads(store)
        padded_cells, padded_kinds, padded_runs = _padding(runs)
        pure, pure_diff = _pure(runs)
        piped, pipe_diff = _pipeline(runs)
    if max(pure_diff, pipe_diff) > TOLERANCE:
        raise SystemExit(f"logits disagree with the stored ones: pure {pure_diff:.3g}, pipeline {pipe_diff:.3g}")
    stage = sum(by_kind.get(kind, 0.0) for kind in PREDICT_KINDS)
    inputs = sum(len(entry["a"]) for entry in runs.values())
    n_loads = sum(row[4] for row in loads)
    processes = max(row[3] for row in loads)
    dims = SHAPES[shape]
    what = (f"{len(SEEDS)} runs x {len(LANGUAGES)} languages x {pairs} XNLI pairs x 3 attack settings, "
            f"{shape} ({dims['num_hidden_layers']}x{dims['hidden_size']}, {dims['vocab_size']:,} tokens)")
    return [
        result("fill_real", f"serial fill, {what}: wall time", wall, "s"),
        result("fill_real", f"  prediction stage: {inputs:,} inputs in {len(PREDICT_KINDS)} kinds of cells", stage, "s",
               "pure batched inference, models loaded", stage / pure, "<= 1.15x"),
        result("fill_real", "    pure batched inference (encode + batched_logits)", pure, "s"),
        result("fill_real", "    tokens fed per real token, batches cut per run and kind as the fill does (per cell: "
               f"{padded_cells:.2f}; pure, per run: {padded_runs:.2f})", padded_kinds, ""),
        result("fill_real", f"  model loads: {len(loads)} run-and-kind batches, {sum(r[2] for r in loads)} cells, "
               f"{processes} process", n_loads, "loads", "one per run and kind", n_loads / len(loads), "1.00x"),
        result("fill_real", "    seconds loading them", load_seconds, "s"),
        result("fill_real", "  end to end: text-classification pipeline, one load per run", piped, "s",
               "prediction stage", piped / stage, ">= 1.5x"),
        result("fill_real", f"  max |logit difference| from stored: pure, pipeline {pipe_diff:.1g}", pure_diff, "",
               "", None, f"<= {TOLERANCE:g}"),
    ]


def run(quick: bool = False) -> list[dict]:
    if xnli_dir(required=False) is None:
        print("fill_real: skipped, no XNLI dev files (set XSTORE_TEST_DATA or XNLI_DIR)", file=sys.stderr)
        return []
    return measure("tiny", 10, 1) if quick else measure("e5-small", 300, 3)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="e5-small")
    parser.add_argument("--pairs", type=int, default=300, help="XNLI pairs per language (default 300)")
    parser.add_argument("--budget", type=int, default=3, help="deepwordbug's query budget per pair (default 3)")
    parser.add_argument("--xnli", default=None, help="folder of XNLI dev-{lang}.tsv[.gz] (default: $XSTORE_TEST_DATA/xnli)")
    parser.add_argument("--quick", action="store_true", help="the tiny shape, 10 pairs, budget 1: a smoke run")
    args = parser.parse_args()
    rows = run(quick=True) if args.quick else measure(args.shape, args.pairs, args.budget, args.xnli)
    print_table(rows, f"a fill at real model size on {device_name()}")
