"""The attack catalogue (one entry per attack), and the task catalogue's names re-exported.

Tasks live in `xstore.tasks`. An entry's `version` is part of the key of every cell that uses it:
bumping it makes those cells missing again. Every attack keeps negation intact (the language's list in
`runners/attacks/negation.py`, whose version is in the perturb cell's key too) and can require that
meaning stays: `similarity_threshold` on the cosine similarity of original and perturbed text under
`similarity_encoder` ("base": the run's own pretrained model, mean-pooled; or a local model directory).
"""

from __future__ import annotations

from dataclasses import dataclass

from xstore.errors import UserError
from xstore.tasks import TASKS, TaskEntry, get_task

__all__ = ["ATTACKS", "AttackEntry", "PROTOCOLS", "TASKS", "TaskEntry", "get_attack", "get_task"]


# Meaning preservation (runners/attacks/meaning.py): 0.9 is A2T's threshold (Yoo & Qi 2021: a mean-pooled
# sentence encoder, cosine >= 0.9 against the original), on for the victim attacks; off for the noise
# attacks, whose random edits are the object of study, and which have no run whose encoder "base" names.
MEANING = {"similarity_threshold": 0.9, "similarity_encoder": "base"}
NO_MEANING = {"similarity_threshold": 0.0, "similarity_encoder": "base"}

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
            version=2,  # 2: negation is never edited
            protocols=("model-independent",),
            # A 10% character edit rate sits in the range of the synthetic-noise studies of
            # Belinkov & Bisk 2018 ("Synthetic and natural noise both break NMT"), which perturb
            # every word; we edit a share of characters instead so the text stays readable.
            defaults={"rate": 0.1, "seed": 0, **NO_MEANING},
            runner="xstore.runners.charnoise:perturb_rows",
            source="random character deletion, insertion, substitution and swap of neighbours (synthetic noise, "
                   "Belinkov & Bisk 2018), seeded per example",
        ),
        AttackEntry(
            name="homoglyphnoise",
            version=2,  # 2: negation is never edited
            protocols=("model-independent",),
            # VIPER (Eger et al. 2019) swaps each character with probability p; 0.1 matches charnoise's
            # rate so the two kinds of noise compare at one rate.
            defaults={"rate": 0.1, "seed": 0, **NO_MEANING},
            runner="xstore.runners.attacks.homoglyphnoise:perturb_rows",
            source="random swaps for Unicode confusables (VIPER-style noise, Eger et al. 2019), every script, seeded per example",
        ),
        # The victim attacks. query_budget 0 means no limit, as in the papers and TextAttack's recipes
        # (query_budget=inf): the greedy searches end by themselves. A share of 1.0 sets no word limit.
        AttackEntry(
            name="deepwordbug",
            version=2,  # 2: negation kept, meaning kept (similarity >= 0.9)
            protocols=("per-victim", "transfer"),
            # Gao et al. 2018 limit only the edit distance (30, fixed in the builder), not the words.
            defaults={"query_budget": 0, "max_words_perturbed_share": 1.0, "seed": 0, **MEANING},
            runner="xstore.runners.attacks.deepwordbug_gao2018:build",
            source="DeepWordBug, Gao et al. 2018 (arXiv:1801.04354): character edits of the most important words",
        ),
        AttackEntry(
            name="pruthi",
            version=2,  # 2: negation kept, meaning kept (similarity >= 0.9)
            protocols=("per-victim", "transfer"),
            # Pruthi et al. 2019 study one- and two-character attacks; TextAttack's recipe allows one word.
            defaults={"query_budget": 0, "max_words_perturbed": 1, "max_words_perturbed_share": 1.0, "seed": 0,
                      **MEANING},
            runner="xstore.runners.attacks.pruthi2019:build",
            source="keyboard typos, Pruthi et al. 2019 (arXiv:1905.11268): swap, drop, add, neighbouring key, per-language layouts",
        ),
        AttackEntry(
            name="homoglyph",
            version=2,  # 2: negation kept, meaning kept (similarity >= 0.9)
            protocols=("per-victim", "transfer"),
            defaults={"query_budget": 0, "max_words_perturbed_share": 1.0, "seed": 0, **MEANING},
            runner="xstore.runners.attacks.homoglyph_boucher2022:build",
            source="homoglyph swap, Boucher et al. 2022 (arXiv:2106.09898), Unicode confusables of every script, greedy search",
        ),
        AttackEntry(
            name="bae",
            version=2,  # 2: negation kept, meaning kept (similarity >= 0.9)
            protocols=("per-victim", "transfer"),
            # 0.4: BERT-Attack's word share (Li et al. 2020); K = 50 candidates: BAE (Garg & Ramakrishnan
            # 2020); mlm "base": the victim's own pretrained model; use_threshold 0: no sentence encoder
            # (BAE's multilingual-USE constraint needs a TF Hub download).
            defaults={"query_budget": 0, "max_words_perturbed_share": 0.4, "max_candidates": 50, "mlm": "base",
                      "use_threshold": 0.0, "seed": 0, **MEANING},
            runner="xstore.runners.attacks.bae_garg2020:build",
            source="BAE-R word substitution, Garg & Ramakrishnan 2020 (arXiv:2004.01970), multilingual masked LM, "
                   "per-language stop words kept",
        ),
    ]
}


def get_attack(name: str) -> AttackEntry:
    """The catalogue entry for `name`, or a UserError listing the known attacks."""
    try:
        return ATTACKS[name]
    except KeyError:
        known = ", ".join(["none", *sorted(ATTACKS)])
        raise UserError(f"unknown attack {name!r}; known attacks: {known}") from None
