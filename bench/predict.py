"""Prediction: XNLI pairs/s through xstore's classification path against transformers' text-classification pipeline.

Both score the same inputs (XNLI dev premise/hypothesis pairs drawn from all 15 languages) with the same
model object (XLM-R architecture of --size, random weights, a 30k BPE tokenizer trained on the XNLI text:
there is no hub access), the same batch size and max length with truncation, and return every class's
raw logit (the pipeline with top_k=None, function_to_apply="none"). xstore's path is runners/predict.py
`encode` + `batched_logits`: tokenize once, sort by length, pad per batch, torch.inference_mode (bf16
autocast on CUDA). The pipeline tokenizes each input on its own and pads batches in input order; on CUDA
it runs under the same bf16 autocast. Tokenization is timed in both. The logits must agree before
anything is reported. Run: python bench/predict.py [--size base|small|mini|tiny] [--rows N] [--batch-size N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (SIZES, build_xlmr, device_name, print_table, result, sample, xnli_dir,  # noqa: E402
                    xnli_pairs)

# xstore's default prediction batch (xstore.spec.PredictSettings) and XTREME's sentence-task input length.
BATCH_SIZE = 64
MAX_LENGTH = 128
# Logits may differ by float rounding only: batches are padded differently (sorted vs input order), which
# changes matrix shapes, not results. bf16 autocast on CUDA rounds to ~3 significant digits.
TOLERANCE = {"cpu": 1e-3, "cuda": 5e-2}


def _xstore_logits(model, tokenizer, inputs, batch_size, max_length):
    from xstore.runners.common import batched_logits, encode

    encodings = encode(tokenizer, [r["text_a"] for r in inputs], [r["text_b"] for r in inputs], max_length)
    return batched_logits(model, tokenizer, encodings, batch_size)


def _pipeline_logits(classifier, inputs, batch_size, max_length):
    import numpy as np
    import torch

    dev = classifier.device
    label2id = classifier.model.config.label2id
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else nullcontext()
    with autocast:
        outputs = classifier([{"text": r["text_a"], "text_pair": r["text_b"]} for r in inputs], batch_size=batch_size,
                             top_k=None, function_to_apply="none", truncation=True, max_length=max_length)
    logits = np.empty((len(inputs), len(label2id)), dtype=np.float32)
    for row, scores in zip(logits, outputs):  # top_k=None sorts each input's scores: put them back in class order
        for s in scores:
            row[label2id[s["label"]]] = s["score"]
    return logits


def _spread(seconds: list[float]) -> str:
    return f"{min(seconds):.1f}-{max(seconds):.1f} s"


def _padding(lengths: list[int], batch_size: int, sort: bool) -> float:
    """Tokens fed to the model (padding included) per real token, with batches cut in sorted or input order."""
    order = sorted(lengths) if sort else lengths
    fed = sum(max(order[i:i + batch_size]) * len(order[i:i + batch_size]) for i in range(0, len(order), batch_size))
    return fed / sum(lengths)


def measure(size: str, rows: int, batch_size: int = BATCH_SIZE, max_length: int = MAX_LENGTH, reps: int = 1,
            xnli: str | None = None) -> list[dict]:
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from xstore.runners.common import device, quiet_transformers

    quiet_transformers()
    # A training cell run earlier in this process (bench/run.py's fill) leaves torch's deterministic mode on
    # (runners/train.py seeds with it); neither path here asks for it.
    torch.use_deterministic_algorithms(False)
    pairs = xnli_pairs(xnli_dir(xnli))
    inputs = sample(pairs, rows)
    rows = len(inputs)
    dev = device()
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_xlmr(Path(tmp) / "model", [t for p in pairs for t in (p["text_a"], p["text_b"])], size)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3).to(dev).eval()
    classifier = pipeline("text-classification", model=model, tokenizer=tokenizer, device=dev)

    # one batch through each first: lazy initialisation (kernels, allocator, thread pools) is not throughput
    _xstore_logits(model, tokenizer, inputs[:batch_size], batch_size, max_length)
    _pipeline_logits(classifier, inputs[:batch_size], batch_size, max_length)
    seconds = {"xstore": [], "pipeline": []}
    for _ in range(reps):  # alternate, so a busy moment on a shared machine hits both alike
        t0 = time.perf_counter()
        ours = _xstore_logits(model, tokenizer, inputs, batch_size, max_length)
        seconds["xstore"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs = _pipeline_logits(classifier, inputs, batch_size, max_length)
        seconds["pipeline"].append(time.perf_counter() - t0)
    diff = float(np.abs(ours - theirs).max())
    if diff > TOLERANCE[dev.type]:
        raise SystemExit(f"xstore and the pipeline disagree: max |logit difference| {diff:.3g} > {TOLERANCE[dev.type]}")
    agree = float((ours.argmax(axis=1) == theirs.argmax(axis=1)).mean())

    lengths = [len(ids) for ids in tokenizer([r["text_a"] for r in inputs], [r["text_b"] for r in inputs],
                                             truncation=True, max_length=max_length)["input_ids"]]
    ours_rate, theirs_rate = rows / min(seconds["xstore"]), rows / min(seconds["pipeline"])
    dims = SIZES[size]
    what = f"{rows:,} XNLI pairs, {size} ({dims['hidden_size']}x{dims['num_hidden_layers']}), batch {batch_size}"
    best = f"best of {reps}" + (f", passes {_spread(seconds['xstore'])}" if reps > 1 else "")
    return [
        result("predict", f"xstore encode + batched_logits, {what}, {best}", ours_rate, "rows/s",
               "text-classification pipeline", ours_rate / theirs_rate, ">= 1.5x"),
        result("predict", "  transformers pipeline, same model and inputs" + (
            f", passes {_spread(seconds['pipeline'])}" if reps > 1 else ""), theirs_rate, "rows/s"),
        result("predict", f"  max |logit difference| ({agree:.1%} same arg-max)", diff, "", "", None,
               f"<= {TOLERANCE[dev.type]:g}"),
        result("predict", f"  tokens fed per real token (mean length {np.mean(lengths):.0f}): xstore (pipeline "
               f"{_padding(lengths, batch_size, sort=False):.2f})", _padding(lengths, batch_size, sort=True), ""),
    ]


def run(quick: bool = False) -> list[dict]:
    import torch

    if xnli_dir(required=False) is None:
        print("predict: skipped, no XNLI dev files (set XNLI_DIR)", file=sys.stderr)
        return []
    if quick:
        return measure("tiny", 256, batch_size=32)
    size, rows, reps = _defaults(torch.cuda.is_available())
    return measure(size, rows, reps=reps)


def _defaults(gpu: bool) -> tuple[str, int, int]:
    """(size, rows, reps): xlm-roberta-base's dimensions over all 37,350 dev pairs on a GPU. On 2 CPU cores
    those take 0.1 to 0.2 s a pair, so the small model over 384 pairs, best of 3 passes each (a shared
    machine is noisy), keeps the run under 2 minutes."""
    return ("base", 37_350, 3) if gpu else ("small", 384, 3)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default=None,
                        help="model dimensions (default: base, xlm-roberta-base's, on a GPU; small on a CPU)")
    parser.add_argument("--rows", type=int, default=None,
                        help="XNLI dev pairs scored (default: all 37,350 of the 15 languages on a GPU, 384 on a CPU)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH)
    parser.add_argument("--reps", type=int, default=None, help="timed passes each, best kept (default: 3)")
    parser.add_argument("--xnli", default=None, help="folder of XNLI dev-{lang}.tsv[.gz] (default: $XNLI_DIR)")
    parser.add_argument("--quick", action="store_true", help="the tiny model on 256 pairs, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        rows_out = run(quick=True)
    else:
        import torch

        size, rows, reps = _defaults(torch.cuda.is_available())
        rows_out = measure(args.size or size, args.rows or rows, args.batch_size, args.max_length, args.reps or reps,
                           args.xnli)
    print_table(rows_out, f"prediction on {device_name()}")
