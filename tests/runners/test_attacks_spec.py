"""Attack protocols in the spec and the planner: who is attacked, what is shared, what the keys hold."""

import pytest

from conftest import run_cli, write_spec
from xstore.catalog import ATTACKS
from xstore.keys import content_key
from xstore.cells import KIND_BY_NAME
from xstore.planner import declare
from xstore.spec import load_spec


def _spec(tmp_path, attacks: str, options: str = "", seeds=(1,)):
    path = write_spec(tmp_path, seeds=seeds)
    text = path.read_text().replace('attacks = ["none", "charnoise"]', f"attacks = {attacks}")
    path.write_text(text + options)
    return path


def _runs(cells):
    """train_target key -> intermediate setting and seed."""
    return {c.key: (c.params["intermediate"], c.params["seed"]) for c in cells if c.kind == "train_target"}


def test_model_independent_cells_are_keyed_by_attack_budget_data_and_negation_list(tmp_path):
    # The key of a model-independent perturb cell holds exactly: kind, attack, version, budget (the similarity
    # constraint's settings included), task, split, language, that language's negation list version, and
    # the examples it perturbs; no run, so every run predicts on the same text.
    from xstore.runners.attacks import negation

    cells = declare(load_spec(write_spec(tmp_path)))
    perturb = [c for c in cells if c.kind == "perturb"]
    loads = {(c.params["task"], c.params["split"], c.params["language"]): c.key for c in cells if c.kind == "load"}
    assert len(perturb) == 2
    for cell in perturb:
        language = cell.params["language"]
        params = {"attack": "charnoise", "attack_version": ATTACKS["charnoise"].version,
                  "params": {"rate": 0.1, "seed": 0, "similarity_encoder": "base", "similarity_threshold": 0.0},
                  "task": "demo-nli", "split": "test", "language": language, "negation": negation.version(language),
                  "kind_version": KIND_BY_NAME["perturb"].version}
        parents = {"examples": loads[("demo-nli", "test", cell.params["language"])]}
        assert (cell.params, cell.parents) == (params, parents)
        assert cell.key == content_key("perturb", params, parents)


def test_per_victim_attacks_each_run_and_shares_nothing(tmp_path):
    cells = declare(load_spec(_spec(tmp_path, '["none", "deepwordbug"]', seeds=(1, 2))))
    runs = _runs(cells)
    perturb = {c.key: c for c in cells if c.kind == "perturb"}
    # 2 settings x 2 seeds x 2 languages, each attacking its own run
    assert len(perturb) == 8 and all(c.parents["victim"] in runs for c in perturb.values())
    assert all(c.params["protocol"] == "per-victim" and c.params["max_length"] == 48 for c in perturb.values())
    for c in cells:
        if c.kind == "predict_perturbed":
            assert perturb[c.parents["perturbations"]].parents["victim"] == c.parents["run"]


def test_transfer_attacks_the_reference_run_and_every_run_reads_its_text(tmp_path):
    cells = declare(load_spec(_spec(tmp_path, '["none", "pruthi"]', '\n[attacks.pruthi]\nprotocol = "transfer"\n', seeds=(1, 2))))
    runs = _runs(cells)
    perturb = {c.key: c for c in cells if c.kind == "perturb"}
    # one perturbed set per seed and language, made on the no-intermediate run of that seed
    assert len(perturb) == 4
    assert {runs[c.parents["victim"]] for c in perturb.values()} == {("none", 1), ("none", 2)}
    readers = {}
    for c in cells:
        if c.kind == "predict_perturbed":
            victim_seed = runs[perturb[c.parents["perturbations"]].parents["victim"]][1]
            assert victim_seed == runs[c.parents["run"]][1]
            readers.setdefault(c.parents["perturbations"], set()).add(runs[c.parents["run"]])
    assert all(len(r) == 2 for r in readers.values())  # both intermediate settings predict on each set


def test_transfer_with_a_named_reference_and_seed(tmp_path):
    options = '\n[attacks.homoglyph]\nprotocol = "transfer"\nreference = "demo-sentiment"\nreference_seed = 2\n'
    cells = declare(load_spec(_spec(tmp_path, '["none", "homoglyph"]', options, seeds=(1, 2))))
    runs = _runs(cells)
    perturb = [c for c in cells if c.kind == "perturb"]
    assert len(perturb) == 2 and {runs[c.parents["victim"]] for c in perturb} == {("demo-sentiment", 2)}
    assert sum(c.kind == "predict_perturbed" for c in cells) == 8  # 4 runs x 2 languages, all on that text


def test_budgets_are_part_of_the_key_and_typed_like_the_defaults(tmp_path):
    def keys(options):
        path = _spec(tmp_path, '["none", "deepwordbug"]', options)
        return {c.key for c in declare(load_spec(path)) if c.kind == "perturb"}

    default = keys("")
    assert keys("\n[attacks.deepwordbug]\nquery_budget = 50\n").isdisjoint(default)
    assert keys("\n[attacks.deepwordbug]\nmax_words_perturbed_share = 0.2\n").isdisjoint(default)
    # 1 and 1.0 are the same share, so the same cells
    assert keys("\n[attacks.deepwordbug]\nmax_words_perturbed_share = 1\n") == default
    spec = load_spec(_spec(tmp_path, '["none", "bae"]', '\n[attacks.bae]\nprotocol = "transfer"\nmax_candidates = 8\n'))
    assert spec.attack_params("bae") == {**ATTACKS["bae"].defaults, "max_candidates": 8}
    assert spec.attack_protocol("bae") == {"protocol": "transfer", "reference": "none", "reference_seed": None}


PROTOCOL_ERRORS = [
    ('["none", "deepwordbug"]', '[attacks.deepwordbug]\nprotocol = "model-independent"',
     "attacks.deepwordbug.protocol: 'model-independent' is not a protocol of deepwordbug; it has: per-victim, transfer"),
    ('["none", "charnoise"]', '[attacks.charnoise]\nprotocol = "transfer"',
     "attacks.charnoise.protocol: 'transfer' is not a protocol of charnoise; it has: model-independent"),
    ('["none", "pruthi"]', '[attacks.pruthi]\nreference = "none"',
     'attacks.pruthi.reference: a reference run goes with protocol = "transfer"'),
    ('["none", "pruthi"]', '[attacks.pruthi]\nprotocol = "transfer"\nreference = "demo-nli"',
     "attacks.pruthi.reference: the reference run's intermediate setting 'demo-nli' is not in grid.intermediate (none, demo-sentiment)"),
    ('["none", "pruthi"]', '[attacks.pruthi]\nprotocol = "transfer"\nreference_seed = 7',
     "attacks.pruthi.reference_seed: 7 is not one of grid.seeds (1)"),
    ('["none", "pruthi"]', '[attacks.pruthi]\nprotocol = "transfer"\nreference_seed = 1.0',
     "attacks.pruthi.reference_seed: 1.0 is not one of grid.seeds (1)"),
    ('["none", "bae"]', '[attacks.bae]\nquery_budget = "many"',
     "attacks.bae.query_budget: expected int like the default 0 (got 'many')"),
    ('["none", "bae"]', '[attacks.bae]\nmax_words_perturbed_share = 1.5',
     "attacks.bae.max_words_perturbed_share: must lie between 0 and 1 (got 1.5)"),
    ('["none", "bae"]', '[attacks.bae]\nquery_budget = -1', "attacks.bae.query_budget: must lie between 0 and inf"),
    ('["none", "bae"]', '[attacks.bae]\ncandidates = 3',
     "attacks.bae.candidates: unknown parameter; allowed: query_budget, max_words_perturbed_share, max_candidates, mlm, "
     "use_threshold, seed, similarity_threshold, similarity_encoder, protocol, reference, reference_seed"),
    ('["none", "bae"]', '[attacks.bae]\nsimilarity_threshold = 2.0',
     "attacks.bae.similarity_threshold: must lie between 0 and 1 (got 2.0)"),
]


@pytest.mark.parametrize("attacks, options, message", PROTOCOL_ERRORS, ids=[m[:45] for _, _, m in PROTOCOL_ERRORS])
def test_protocol_mistakes_end_in_one_message(tmp_path, capsys, attacks, options, message):
    path = _spec(tmp_path, attacks, "\n" + options + "\n")
    code, out, err = run_cli(["plan", path], capsys)
    assert code == 2 and message in " ".join(err.split()), err
    assert "Traceback" not in err


def test_attacks_command_lists_the_catalogue(capsys):
    code, out, _ = run_cli(["attacks"], capsys)
    text = " ".join(out.split())
    assert code == 0
    for entry in ATTACKS.values():
        assert entry.name in text and entry.protocols[0] in text
    # the papers, by identifiers that a narrow table cannot wrap
    for source in ("arXiv:1801.04354", "arXiv:1905.11268", "arXiv:2106.09898", "arXiv:2004.01970", "VIPER-style"):
        assert source in text
    assert "[attacks.NAME]" in text
