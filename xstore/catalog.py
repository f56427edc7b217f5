"""The task and attack catalogues: one entry per task or attack, the one place each is declared.

An entry says where its data comes from, its labels, languages and version. Bumping `version`
changes the key of every cell that depends on the entry, so those cells are planned again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Optional

from xstore.errors import UserError


@dataclass(frozen=True)
class TaskEntry:
    """One task: what it is, where its rows come from, and how to read them."""

    name: str
    version: int
    role: str  # "intermediate", "target" or "both"
    head: str  # "classification"
    labels: tuple[str, ...]
    text_fields: tuple[str, ...]  # one or two input fields, in model order
    splits: dict[str, tuple[str, ...]]  # split -> languages that have it
    source: str  # a sentence for `xstore tasks` and for error messages
    reader: Callable[["TaskEntry", str, str, Optional[Path]], list[dict]] = field(repr=False)

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for langs in self.splits.values():
            seen.update(dict.fromkeys(langs))
        return tuple(seen)

    def read(self, split: str, language: str, data_dir: Optional[Path] = None) -> list[dict]:
        """Rows as dicts with idx, text_a, text_b and label (an index into `labels`)."""
        if language not in self.splits.get(split, ()):
            raise UserError(f"task {self.name!r} has no {split!r} split in language {language!r}")
        return self.reader(self, split, language, data_dir)


def _read_packaged_jsonl(entry: TaskEntry, split: str, language: str, data_dir: Optional[Path]) -> list[dict]:
    """Read one of the demo's JSONL files shipped in `xstore/demo/` (or a copy in `data_dir`)."""
    filename = f"{entry.name.replace('-', '_')}.jsonl"
    if data_dir is not None:
        path = Path(data_dir) / filename
        if not path.is_file():
            raise UserError(f"task {entry.name!r}: no file {path} (expected the JSONL layout of {filename})")
        text = path.read_text(encoding="utf-8")
    else:
        text = resources.files("xstore.demo").joinpath(filename).read_text(encoding="utf-8")
    label_index = {label: i for i, label in enumerate(entry.labels)}
    rows = []
    required = ("split", "language", "index", "label", *entry.text_fields)
    for line_no, line in enumerate(text.splitlines(), start=1):
        where = f"task {entry.name!r}: {filename} line {line_no}"
        try:
            record = json.loads(line)
        except ValueError:
            raise UserError(f"{where} is not valid JSON") from None
        missing = [name for name in required if name not in record]
        if missing:
            raise UserError(f"{where} has no {missing[0]!r} field (each line needs {', '.join(required)})")
        if record["split"] != split or record["language"] != language:
            continue
        fields = [record[name] for name in entry.text_fields]
        if any(not isinstance(value, str) or not value.strip() for value in fields):
            raise UserError(f"{where} has an empty text field")
        if record["label"] not in label_index:
            raise UserError(
                f"{where} has unknown label {record['label']!r}; "
                f"expected one of {', '.join(entry.labels)}"
            )
        rows.append({
            "idx": record["index"],
            "text_a": fields[0],
            "text_b": fields[1] if len(fields) > 1 else None,
            "label": label_index[record["label"]],
        })
    return rows


_DEMO_LANGUAGES = ("en", "de", "fr", "es", "ru")

TASKS: dict[str, TaskEntry] = {
    entry.name: entry
    for entry in [
        # Templated NLI written for this project (examples/make_demo_data.py): English training data,
        # dev and test parallel in five languages, so the zero-shot protocol runs end to end offline.
        TaskEntry(
            name="demo-nli",
            version=1,
            role="target",
            head="classification",
            labels=("entailment", "neutral", "contradiction"),
            text_fields=("premise", "hypothesis"),
            splits={"train": ("en",), "dev": _DEMO_LANGUAGES, "test": _DEMO_LANGUAGES},
            source="shipped with xstore (xstore/demo/demo_nli.jsonl)",
            reader=_read_packaged_jsonl,
        ),
        # Templated English sentiment, the demo's intermediate task (stands in for SST-2).
        TaskEntry(
            name="demo-sentiment",
            version=1,
            role="intermediate",
            head="classification",
            labels=("negative", "positive"),
            text_fields=("text",),
            splits={"train": ("en",), "dev": ("en",)},
            source="shipped with xstore (xstore/demo/demo_sentiment.jsonl)",
            reader=_read_packaged_jsonl,
        ),
    ]
}


# Whom an attack queries. model-independent: nobody, one perturbed set per input for every run;
# transfer: a named reference run, whose perturbed inputs every run is then evaluated on;
# per-victim: each run is attacked itself.
PROTOCOLS = ("model-independent", "transfer", "per-victim")


@dataclass(frozen=True)
class AttackEntry:
    """One attack: its version, protocols, default budget and the runner function that applies it."""

    name: str
    version: int
    protocols: tuple[str, ...]  # those it supports; the first is used when the spec names none
    defaults: dict  # budget and seed; every value is part of the perturb cell's key
    # "module:function" under xstore.runners, imported only when the attack runs. Model-independent:
    # (rows, params) -> attempts. Otherwise a builder (victim, language, params) -> textattack.Attack.
    runner: str
    source: str

    @property
    def protocol(self) -> str:
        """The default protocol."""
        return self.protocols[0]


ATTACKS: dict[str, AttackEntry] = {
    entry.name: entry
    for entry in [
        AttackEntry(
            name="charnoise",
            version=1,
            protocols=("model-independent",),
            # A 10% character edit rate sits in the range of the synthetic-noise studies of
            # Belinkov & Bisk 2018 ("Synthetic and natural noise both break NMT"), which perturb
            # every word; we edit a share of characters instead so the text stays readable.
            defaults={"rate": 0.1, "seed": 0},
            runner="xstore.runners.charnoise:perturb_rows",
            source="random character deletion, insertion, substitution and swap of neighbours (synthetic noise, "
                   "Belinkov & Bisk 2018), seeded per example",
        ),
        AttackEntry(
            name="homoglyphnoise",
            version=1,
            protocols=("model-independent",),
            # VIPER (Eger et al. 2019) swaps each character with probability p; 0.1 matches charnoise's
            # rate so the two kinds of noise compare at one rate.
            defaults={"rate": 0.1, "seed": 0},
            runner="xstore.runners.attacks.homoglyphnoise:perturb_rows",
            source="random swaps for Unicode confusables (VIPER-style noise, Eger et al. 2019), every script, seeded per example",
        ),
        # The victim attacks. query_budget 0 means no limit, as in the papers and TextAttack's recipes
        # (query_budget=inf): the greedy searches end by themselves. A share of 1.0 sets no word limit.
        AttackEntry(
            name="deepwordbug",
            version=1,
            protocols=("per-victim", "transfer"),
            # Gao et al. 2018 limit only the edit distance (30, fixed in the builder), not the words.
            defaults={"query_budget": 0, "max_words_perturbed_share": 1.0, "seed": 0},
            runner="xstore.runners.attacks.deepwordbug_gao2018:build",
            source="DeepWordBug, Gao et al. 2018 (arXiv:1801.04354): character edits of the most important words",
        ),
        AttackEntry(
            name="pruthi",
            version=1,
            protocols=("per-victim", "transfer"),
            # Pruthi et al. 2019 study one- and two-character attacks; TextAttack's recipe allows one word.
            defaults={"query_budget": 0, "max_words_perturbed": 1, "max_words_perturbed_share": 1.0, "seed": 0},
            runner="xstore.runners.attacks.pruthi2019:build",
            source="keyboard typos, Pruthi et al. 2019 (arXiv:1905.11268): swap, drop, add, neighbouring key, per-language layouts",
        ),
        AttackEntry(
            name="homoglyph",
            version=1,
            protocols=("per-victim", "transfer"),
            defaults={"query_budget": 0, "max_words_perturbed_share": 1.0, "seed": 0},
            runner="xstore.runners.attacks.homoglyph_boucher2022:build",
            source="homoglyph swap, Boucher et al. 2022 (arXiv:2106.09898), Unicode confusables of every script, greedy search",
        ),
        AttackEntry(
            name="bae",
            version=1,
            protocols=("per-victim", "transfer"),
            # 0.4: BERT-Attack's word share (Li et al. 2020); K = 50 candidates: BAE (Garg & Ramakrishnan
            # 2020); mlm "base": the victim's own pretrained model; use_threshold 0: no sentence encoder
            # (BAE's multilingual-USE constraint needs a TF Hub download).
            defaults={"query_budget": 0, "max_words_perturbed_share": 0.4, "max_candidates": 50, "mlm": "base",
                      "use_threshold": 0.0, "seed": 0},
            runner="xstore.runners.attacks.bae_garg2020:build",
            source="BAE-R word substitution, Garg & Ramakrishnan 2020 (arXiv:2004.01970), multilingual masked LM, "
                   "per-language stop words kept",
        ),
    ]
}


def get_task(name: str) -> TaskEntry:
    """The catalogue entry for `name`, or a UserError listing the known tasks."""
    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


def get_attack(name: str) -> AttackEntry:
    """The catalogue entry for `name`, or a UserError listing the known attacks."""
    try:
        return ATTACKS[name]
    except KeyError:
        known = ", ".join(["none", *sorted(ATTACKS)])
        raise UserError(f"unknown attack {name!r}; known attacks: {known}") from None
