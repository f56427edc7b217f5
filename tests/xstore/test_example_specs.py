"""The paper's grid (examples/phang2020.toml) and its one-GPU slice validate and declare what they say."""

import shutil
from collections import Counter
from pathlib import Path

from xstore.planner import declare
from xstore.spec import load_spec
from xstore.tasks import get_task
from xstore.tasks.translated import TRANSLATIONS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NINE = ["anli", "ccg", "commonsenseqa", "cosmosqa", "hellaswag", "mnli", "qqp", "squad", "sst2"]
TARGETS = ["xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba"]


def _spec(tmp_path, name):
    shutil.copy(EXAMPLES / name, tmp_path / name)
    (tmp_path / "data" / "ccg").mkdir(parents=True, exist_ok=True)  # CCGbank is licensed: the spec points at a local copy
    # XTREME's SQuAD translations are not on the hub: the spec points at a local copy (empty files will do)
    squad = tmp_path / "data" / "xtreme-translations" / "squad"
    squad.mkdir(parents=True, exist_ok=True)
    for language in TRANSLATIONS["squad"].languages:
        (squad / f"squad.translate.train.en-{language}.json").touch()
    return load_spec(tmp_path / name)


def test_phang2020_declares_the_papers_grid(tmp_path):
    cells = declare(_spec(tmp_path, "phang2020.toml"))
    kinds = Counter(c.kind for c in cells)
    # nine single intermediate tasks, the nine-task mixture and four alternatives; every target after each of 15 settings
    assert kinds["train_intermediate"] == 14
    assert kinds["train_target"] == 15 * len(TARGETS)
    alternatives = {c.params["intermediate"]: c for c in cells if c.kind == "train_intermediate"
                    and c.params["intermediate"] in ("mnli+mlm", "squad+mlm", "mnli@translated", "squad@translated")}
    assert len(alternatives) == 4
    assert len(alternatives["mnli+mlm"].params["mlm"]["languages"]) == 40  # the XTREME languages
    assert alternatives["squad@translated"].params["translated"]["squad"]["languages"] == ["en", *TRANSLATIONS["squad"].languages]
    multitask = next(c for c in cells if c.kind == "train_intermediate" and len(c.params["tasks"]) == 9)
    assert sorted(multitask.params["tasks"]) == NINE
    assert {k for k in multitask.parents if k.startswith("train:")} == {f"train:{t}" for t in NINE}
    for target in TARGETS:
        split_langs = {c.params["language"] for c in cells if c.kind == "predict_clean" and c.params["task"] == target}
        assert split_langs == set(get_task(target).splits["test"]), target
    for c in cells:
        if c.kind == "train_target" and get_task(c.params["task"]).head == "retrieval":
            assert not any(role.startswith(("train:", "dev:")) for role in c.parents)  # no training data
    assert kinds["perturb"] == 0 and kinds["fit_calibration"] == 0


def test_phang2020_small_is_a_slice_of_it(tmp_path):
    big = {c.key for c in declare(_spec(tmp_path, "phang2020.toml"))}
    small = declare(_spec(tmp_path, "phang2020-small.toml"))
    kinds = Counter(c.kind for c in small)
    assert kinds["train_intermediate"] == 2 and kinds["train_target"] == 6
    assert {c.params["language"] for c in small if c.kind == "predict_clean" and c.params["task"] == "xnli"
            and c.params["split"] == "test"} == set(get_task("xnli").splits["test"])
    assert kinds["fit_calibration"] == 6 and kinds["perturb"] > 0
    # the loads of shared data are the same cells in both grids (other base model: no shared runs)
    loads = {c.key for c in small if c.kind == "load"}
    assert loads & big and not {c.key for c in small if c.kind == "train_target"} & big


def test_a_linked_spec_keeps_its_database_beside_the_link(tmp_path):
    """examples/demo.toml links to the packaged demo: filling it must not write into the package folder."""
    assert (EXAMPLES / "demo.toml").is_symlink()
    assert load_spec(EXAMPLES / "demo.toml").database_path == EXAMPLES / "demo.duckdb"
    (tmp_path / "mine.toml").symlink_to(EXAMPLES / "phang2020-small.toml")
    assert load_spec(tmp_path / "mine.toml").database_path.parent == tmp_path


def test_phang2020_alternatives_declares_the_comparison(tmp_path, capsys):
    from conftest import run_cli

    spec = _spec(tmp_path, "phang2020-alternatives.toml")
    cells = declare(spec)
    runs = Counter(c.params["intermediate"] for c in cells if c.kind == "train_target")
    # four settings x two targets x three seeds, each its own runs; the plain ones are the paper grid's cells
    assert runs == {name: 6 for name in ("none", "mnli", "mnli+mlm", "mnli@translated")}
    big = {c.key for c in declare(_spec(tmp_path, "phang2020.toml"))}
    # seed 1 of plain and translated MNLI is the paper grid's own cell; MLM reads other text here, so not
    shared = {c.params["intermediate"] for c in cells if c.kind == "train_intermediate" and c.key in big}
    assert shared == {"mnli", "mnli@translated"}
    assert Counter(c.kind for c in cells)["fit_calibration"] == 24
    translated = {c.params["language"] for c in cells if c.kind == "load" and c.params["task"] == "mnli@translated"}
    assert translated == set(TRANSLATIONS["mnli"].languages)
    code, out, err = run_cli(["plan", tmp_path / "phang2020-alternatives.toml"], capsys)
    assert code == 0, err
    assert "train_intermediate" in out and str(len(cells)) in out  # the plan counts every declared cell
