"""Helpers shared by the benchmarks: timing, peak memory, synthetic prediction rows, result rows, XNLI text,
an XLM-R-shaped model built offline, the device's name."""

from __future__ import annotations

import resource
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa


@contextmanager
def timer(out: dict, name: str):
    """Store the wall seconds of the block in out[name]."""
    t0 = time.perf_counter()
    yield
    out[name] = time.perf_counter() - t0


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prediction_rows(n: int, n_classes: int = 3, groups: int = 1000, seed: int = 0) -> pa.Table:
    """n synthetic prediction rows shaped like runners/predict.py writes them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(n, n_classes)).astype(np.float32)
    labels = rng.integers(0, n_classes, size=n).astype(np.int32)
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    group = rng.integers(0, groups, size=n)
    languages = np.array(["en", "de", "fr", "es", "ru", "ar", "hi", "th", "zh", "sw"])
    offsets = pa.array(np.arange(0, n * n_classes + 1, n_classes, dtype=np.int32))
    return pa.table({
        "cell_key": pa.array([f"cell{g // 10:04d}" for g in group]),
        "example_id": pa.array([f"ex{i:09d}" for i in range(n)]),
        "perturbation_id": pa.nulls(n, pa.string()),
        "run_key": pa.array([f"run{g // 10:04d}" for g in group]),
        "task": pa.array(["xnli"] * n),
        "split": pa.array(["test"] * n),
        "language": pa.array(languages[group % 10]),
        "attack": pa.array(["none"] * n),
        "label": pa.array(labels),
        "logits": pa.ListArray.from_arrays(offsets, pa.array(logits.reshape(-1))),
        "pred_label": pa.array(logits.argmax(axis=1).astype(np.int32)),
        "confidence": pa.array(probs.max(axis=1).astype(np.float64)),
    })


def result(bench: str, measure: str, value: float, unit: str, baseline: str = "", ratio: float | None = None,
           goal: str = "") -> dict:
    """One row of the benchmark table printed by bench/run.py."""
    return {"bench": bench, "measure": measure, "value": value, "unit": unit, "baseline": baseline,
            "ratio": ratio, "goal": goal}


def print_table(rows: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("bench", "measure", "value", "unit", "vs baseline", "ratio", "goal"):
        table.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    for r in rows:
        value = f"{r['value']:,.0f}" if r["value"] >= 100 else f"{r['value']:.3g}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        table.add_row(r["bench"], r["measure"], value, r["unit"], r["baseline"], ratio, r["goal"])
    Console(width=200).print(table)


# -- real multilingual text and an XLM-R-shaped model built offline (bench/predict.py, bench/train.py) --

XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
NLI_LABELS = ("entailment", "neutral", "contradiction")  # xstore's order for every NLI task
# XLM-R's own dimensions (xlm-roberta-base's config) and smaller ones for CPUs and smoke runs.
# 514 positions: XLM-R numbers positions from padding_idx + 1, so 512 usable positions need 514.
SIZES = {
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "small": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 6, "intermediate_size": 1536},
    "mini": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128},
}
_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's order: pad is id 1


def xnli_dir(given: str | None = None, required: bool = True) -> Path | None:
    """The folder of XTREME's XNLI files (dev-{lang}.tsv[.gz]): --xnli, else $XNLI_DIR, else $XSTORE_TEST_DATA/xnli.

    Missing: exit with a message, or return None when not `required` (bench/run.py then skips the bench).
    """
    import os

    folder = Path(given or os.environ.get("XNLI_DIR") or Path(os.environ.get("XSTORE_TEST_DATA", ".")) / "xnli")
    if not all(any(folder.glob(f"dev-{language}.tsv*")) for language in XNLI_LANGUAGES):
        if not required:
            return None
        raise SystemExit(f"no XNLI dev files (dev-{{lang}}.tsv[.gz] for the 15 languages) in {folder}: pass "
                         "--xnli DIR, or set XNLI_DIR or XSTORE_TEST_DATA (XTREME's layout: premise<TAB>hypothesis<TAB>label)")
    return folder


def xnli_pairs(folder: Path, languages=XNLI_LANGUAGES) -> list[dict]:
    """Every dev pair of `languages`, in file order: text_a, text_b, label (index into NLI_LABELS), language."""
    import csv
    import gzip

    rows = []
    for language in languages:
        path = next(folder.glob(f"dev-{language}.tsv*"))
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            for fields in csv.reader(handle, delimiter="\t"):
                label = {"contradictory": "contradiction"}.get(fields[2], fields[2])
                rows.append({"text_a": fields[0], "text_b": fields[1], "label": NLI_LABELS.index(label),
                             "language": language})
    return rows


def sample(rows: list, n: int, seed: int = 0) -> list:
    """n of rows drawn without replacement (all of them if n is larger), in a seeded random order."""
    rng = np.random.default_rng(seed)
    return [rows[i] for i in rng.permutation(len(rows))[:n]]


def build_xlmr(folder: Path, texts: list[str], size: str, vocab_size: int = 30_000, seed: int = 0) -> Path:
    """An XLM-R-architecture encoder of `size` (random weights) and a BPE tokenizer trained on `texts`.

    The recipe of runners/models.py build_tiny (Metaspace BPE, RoBERTa's pair template <s> A </s></s> B
    </s>) at a realistic vocabulary; there is no hub access, so no pretrained weights. Saved like a hub
    checkpoint, so xstore and transformers load the same files.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=_SPECIALS,
                                                       show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        mask_token="<mask>", cls_token="<s>", sep_token="</s>", model_max_length=512)
    torch.manual_seed(seed)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), max_position_embeddings=514, type_vocab_size=1,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2, **SIZES[size])
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def device_name() -> str:
    """The GPU's name, or the CPU model and torch's thread count."""
    import platform

    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU {model}, {torch.get_num_threads()} threads"


def insert_target_runs(con, task: str, runs: int = 50) -> None:
    """`runs` finished target runs of `task` in a migrated database: 5 intermediate settings ('none' and
    task1..task4) x runs // 5 seeds, keyed run000, run001, ... (the shape the query benchmarks roll up)."""
    con.execute(f"""INSERT INTO training_run BY NAME
                    SELECT printf('run%03d', i) AS key, 'target' AS phase, 'xlm-roberta-base' AS base_model,
                           CASE i % 5 WHEN 0 THEN 'none' ELSE 'task' || (i % 5) END AS intermediate,
                           ? AS task, i // 5 AS seed, '{{}}' AS hparams, 1 AS code_version,
                           '{{}}' AS task_versions, 'done' AS status, '' AS checkpoint_path,
                           '' AS checkpoint_sha256, 0 AS wall_seconds, 0 AS steps, 0 AS train_examples
                    FROM range({int(runs)}) t(i)""", [task])
