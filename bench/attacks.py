"""Attack speed: examples/s and victim queries/s per attack, and attack time over plain prediction time.

    python bench/attacks.py                    # trains a tiny victim in a temporary folder first (~30 s on 2 cores)
    python bench/attacks.py --db demo.duckdb   # or attacks the no-intermediate run of a filled database
    python bench/run.py --only attacks         # as part of the benchmark table (100 queries per example)

Baseline: one plain prediction of the same inputs with `common.batched_logits`, as a predict_clean
cell computes it (best of three). Queries are TextAttack's count (every candidate scored, cached or
not); forward passes are the inputs the model really ran, so 1 - passes/queries is the cache's share.
The attack path is the perturb runner's own (`perturb.attack_examples`), on the GPU when there is one,
with the catalogue's validity constraints: negation kept, and meaning kept (encoder similarity >= 0.9,
the base model as encoder). Each attack runs again in the same run without the meaning constraint, and
without any validity constraint (the attack as it was before issue 17), to show what each costs; the
rejections are the candidates each constraint turned down, per attacked example.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result  # noqa: E402

SPEC = """
database = "bench.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = ["none"]
targets = ["demo-nli"]
languages = ["{language}"]
seeds = [1]

[train.target]  # the test suite's victim: enough steps that predictions depend on the input
learning_rate = 3e-3
batch_size = 16
grad_accum_steps = 1
epochs = 8.0
max_steps = 240
warmup_ratio = 0.0
weight_decay = 0.0
max_length = 64

[predict]
max_length = 64
"""


def measure(db: Path | None, language: str, n_examples: int, attacks: list[str], query_budget: int,
            batch_size: int = 64) -> list[dict]:
    """Attack the first `n_examples` of `language` in `db` (or a tiny victim trained here) with each attack."""
    import torch

    from xstore.catalog import get_attack
    from xstore.db import Store
    from xstore.runners.attacks.victim import Victim
    from xstore.runners.models import build_tiny
    from xstore.runners.perturb import attack_examples
    from xstore.runners.common import batched_logits, device, encode, quiet_transformers

    quiet_transformers()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(db or _fill_victim(Path(tmp), language))
        with store.connect(read_only=True) as con:
            checkpoint, max_length = con.execute(
                """SELECT checkpoint_path, CAST(hparams->>'max_length' AS INTEGER) FROM training_run
                   WHERE phase = 'target' AND intermediate = 'none' ORDER BY seed, key LIMIT 1""").fetchone()
            split = con.execute("""SELECT split FROM example WHERE language = ? AND split IN ('test', 'dev')
                                   ORDER BY split DESC LIMIT 1""", [language]).fetchone()[0]
            found = con.execute("""SELECT id, text_a, text_b, label FROM example WHERE language = ? AND split = ?
                                   AND task = 'demo-nli' ORDER BY idx LIMIT ?""", [language, split, n_examples]).fetchall()
        examples = [dict(zip(("id", "text_a", "text_b", "label"), r)) for r in found]
        model, tokenizer = _load(store.artifacts / checkpoint)
        model.to(device())
        mlm = build_tiny(store.artifacts / "pretrained" / "tiny-xlmr-v1")  # bae's masked LM: the base model

        encodings = encode(tokenizer, [e["text_a"] for e in examples], [e["text_b"] for e in examples], max_length)
        predict_s = min(_timed(lambda: batched_logits(model, tokenizer, encodings, batch_size))[1] for _ in range(3))
        where = f"{len(examples)} {language} {split} examples, {device()}, {torch.get_num_threads()} threads"
        rows.append(result("attacks", f"plain prediction, {where}", len(examples) / predict_s, "examples/s"))
        for name in attacks:
            entry = get_attack(name)
            params = {**entry.defaults, "query_budget": query_budget, "similarity_encoder": str(mlm)}
            if "mlm" in params:
                params["mlm"] = str(mlm)
            runs = {}
            # as catalogued, then without the meaning constraint, then without either (the attack before issue 17)
            for variant, threshold in (("all", params["similarity_threshold"]), ("negation", 0.0), ("none", 0.0)):
                victim = Victim(model, tokenizer, max_length=max_length, batch_size=batch_size)
                with _validity_constraints(variant != "none"):
                    attempts, seconds = _timed(lambda: attack_examples(
                        victim, entry, examples, language, {**params, "similarity_threshold": threshold},
                        fields=("premise", "hypothesis")))
                runs[variant] = (attempts, seconds, victim)
            attempts, seconds, victim = runs["all"]
            attacked = [a for a in attempts if a["outcome"] != "skipped"]
            succeeded = sum(a["outcome"] == "succeeded" for a in attempts)
            queries = sum(a["queries"] for a in attempts)
            # the search's own passes: all but the clean pass and the success check (one each per example)
            cached = 1 - (victim.forward_passes - 2 * len(examples)) / max(sum(a["queries"] for a in attacked), 1)
            rejected = {k: sum(a["rejected"].get(k, 0) for a in attacked) / max(len(attacked), 1)
                        for k in ("negation", "similarity")}
            plain, plain_s, _ = runs["negation"]
            bare, bare_s, _ = runs["none"]
            rows += [
                result("attacks", f"{name}: {len(attacked)} attacked, {succeeded} succeeded", len(examples) / seconds,
                       "examples/s", "plain prediction (time ratio)", seconds / predict_s),
                result("attacks", f"  {name}: victim queries", queries / seconds, "queries/s"),
                result("attacks", f"  {name}: queries answered from the cache", cached * 100, "%"),
                result("attacks", f"  {name}: candidates rejected for negation, per attacked example",
                       rejected["negation"], "candidates"),
                result("attacks", f"  {name}: candidates rejected for meaning, per attacked example",
                       rejected["similarity"], "candidates"),
                result("attacks", f"  {name} without the meaning constraint: "
                       f"{sum(a['outcome'] == 'succeeded' for a in plain)} succeeded", len(examples) / plain_s,
                       "examples/s", "with it (time ratio)", seconds / plain_s),
                result("attacks", f"  {name} without the meaning constraint: victim queries",
                       sum(a["queries"] for a in plain) / plain_s, "queries/s"),
                result("attacks", f"  {name} without any validity constraint (as before issue 17): "
                       f"{sum(a['outcome'] == 'succeeded' for a in bare)} succeeded", len(examples) / bare_s,
                       "examples/s", "with them (time ratio)", seconds / bare_s),
                result("attacks", f"  {name} without any validity constraint: victim queries",
                       sum(a["queries"] for a in bare) / bare_s, "queries/s"),
            ]
    return rows


def run(quick: bool = False) -> list[dict]:
    return measure(None, "ru", 10 if quick else 60, ["deepwordbug", "pruthi", "homoglyph", "bae"], query_budget=100)


def _fill_victim(folder: Path, language: str) -> Path:
    from xstore.db import Store
    from xstore.fill import fill
    from xstore.spec import load_spec

    (folder / "bench.toml").write_text(SPEC.format(language=language))
    spec = load_spec(folder / "bench.toml")
    report = fill(spec, Store(spec.database_path))
    if report.exit_code:
        sys.exit(f"could not train the victim: {report.failed}")
    return spec.database_path


def _load(checkpoint: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    return AutoModelForSequenceClassification.from_pretrained(checkpoint), AutoTokenizer.from_pretrained(checkpoint)


@contextmanager
def _validity_constraints(on: bool):
    """Off: the builders add no validity constraints and the runner does not insist on them, which is each
    attack as it was before issue 17 (its builder otherwise unchanged). The catalogue never does this."""
    from xstore.runners.attacks import validity

    saved = validity.constraints, validity.check
    if not on:
        validity.constraints, validity.check = (lambda victim, language, params: []), (lambda attack: None)
    try:
        yield
    finally:
        validity.constraints, validity.check = saved


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a filled database (default: train a tiny victim in a temporary folder)")
    parser.add_argument("--language", default="ru")
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--attacks", nargs="+", default=["deepwordbug", "pruthi", "homoglyph", "bae"])
    parser.add_argument("--query-budget", type=int, default=100, help="per example; 0 = no limit (the catalogue default)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    print_table(measure(args.db, args.language, args.examples, args.attacks, args.query_budget, args.batch_size), "attacks")
