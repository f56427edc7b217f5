"""Literal cell keys of one fixed spec, one or two per cell kind.

Changing any key below means every stored database recomputes those cells, and everything built on
them: `xstore fill` would find its stored cells "missing" and silently train, predict and attack again.
So a change to how keys are encoded, to a kind's parameters, or to a default that goes into them must
be deliberate: bump the version it belongs to (the kind's, a task's or an attack's) or say why stored
cells must be recomputed, and only then update these literals.
"""

from xstore.planner import declare
from xstore.spec import Spec

# Packaged demo tasks (no data folder, no network), one seed, a transfer attack beside a noise attack. Written
# out here, not shared with other tests, so that only a change to how keys are made can change the keys below.
SPEC = {
    "database": "pinned.duckdb",
    "grid": {"base_models": ["builtin:tiny-xlmr"], "intermediate": ["none", "demo-sentiment"],
             "targets": ["demo-nli"], "languages": ["en", "de"], "seeds": [1],
             "attacks": ["none", "charnoise", "deepwordbug"], "calibration": ["none", "temperature"]},
    "train": {"target": {"learning_rate": 1e-3, "max_steps": 8}},
    "predict": {"eval_splits": ["test"], "max_length": 48},
    "attacks": {"deepwordbug": {"protocol": "transfer", "reference": "none", "query_budget": 50}},
}

# (kind, the cell as `CellSpec.describe()` names it) -> its key. The perturb keys (and so predict_perturbed's)
# changed deliberately with every attack's version 2 (negation kept, meaning kept), which also added the
# language's negation-list version and the similarity threshold and encoder to their parameters.
PINNED = {
    ("load", "demo-nli test de"): "69f4f5c03be6f0d16372",
    ("train_intermediate", "builtin:tiny-xlmr demo-sentiment demo-sentiment seed 1"): "d5b753538e2de3fab9e5",
    ("train_target", "builtin:tiny-xlmr demo-sentiment demo-nli seed 1"): "cb8c0abe9fdf89cf3660",
    ("predict_clean", "builtin:tiny-xlmr demo-sentiment demo-nli none test de seed 1"): "0092fca1e144364fdcfa",
    # model-independent
    ("perturb", "demo-nli charnoise test de rate=0.1 seed=0 similarity_threshold=0.0 similarity_encoder=base"):
        "2594d9fd9f72027c1f83",
    # transfer: has a victim parent
    ("perturb", "demo-nli deepwordbug test de transfer query_budget=50 max_words_perturbed_share=1.0 seed=0 "
                "similarity_threshold=0.9 similarity_encoder=base"): "e6686270d018af65cef1",
    ("predict_perturbed", "builtin:tiny-xlmr demo-sentiment demo-nli deepwordbug test de seed 1"): "5e18568dd74bc49066ea",
    ("fit_calibration", "builtin:tiny-xlmr demo-sentiment demo-nli temperature seed 1"): "dd7ca85a30a28c0c3bb5",
}


def test_cell_keys_of_a_fixed_spec_are_pinned():
    cells = {(c.kind, c.describe()): c.key for c in declare(Spec.model_validate(SPEC))}
    assert {name: cells.get(name) for name in PINNED} == PINNED


def test_every_cell_kind_has_a_pinned_key():
    from xstore.cells import KINDS

    assert {kind for kind, _ in PINNED} == {kind.name for kind in KINDS}


def test_example_ids_are_pinned():
    """Example rows are found by these ids (predictions and perturbations point at them)."""
    from xstore.runners.load import example_id

    assert example_id("demo-nli", 1, "test", "de", 7) == "ccd57f9e3361a5ea66cc"
