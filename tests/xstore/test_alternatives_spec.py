"""The alternatives in a spec: how "TASK+mlm" and "TASK@translated" are declared, keyed, and refused when wrong."""

import json
from pathlib import Path

import pytest

from conftest import run_cli
from xstore.alternatives import components
from xstore.planner import declare
from xstore.spec import load_spec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

SPEC = """
database = "alt.duckdb"

[grid]
base_models = ["builtin:tiny-xlmr"]
intermediate = {intermediate}
targets = ["xnli"]
languages = ["de"]
seeds = [1, 2]
{sections}
"""
MLM = f'[mlm]\nfolder = "{FIXTURES}/mlm"\nlanguages = ["en", "de", "ru", "zh", "ar"]\n'
TRANSLATED = f'[translated.mnli]\nfolder = "{FIXTURES}/translated/mnli"\nlanguages = ["en", "de", "ru", "zh", "ar"]\n'


def _write(tmp_path, intermediate, sections=MLM + TRANSLATED) -> Path:
    path = tmp_path / "alt.toml"
    path.write_text(SPEC.format(intermediate=json.dumps(intermediate), sections=sections), encoding="utf-8")
    return path


def _intermediate_keys(path) -> dict:
    return {c.params["intermediate"] + f" seed {c.params['seed']}": c.key for c in declare(load_spec(path))
            if c.kind == "train_intermediate"}


def test_parts_of_a_setting():
    assert components("mnli") == ["mnli"]
    assert components("mnli+mlm") == ["mnli", "mlm"]
    assert components(["mnli@translated", "squad"]) == ["mnli@translated", "squad"]
    assert components(["mnli+mlm", "qqp"]) == ["mnli", "mlm", "qqp"]


def test_plain_keys_do_not_change_when_alternatives_join_the_grid(tmp_path):
    plain = _intermediate_keys(_write(tmp_path, ["none", "mnli", ["mnli", "qqp"]], sections=""))
    both = _intermediate_keys(_write(tmp_path, ["none", "mnli", ["mnli", "qqp"], "mnli+mlm", "mnli@translated"]))
    assert {k: both[k] for k in plain} == plain
    assert len(set(both.values())) == len(both) == 8


def test_pinned_keys_of_the_alternatives(tmp_path):
    # literal keys: a change to how the alternatives are keyed must update these knowingly (folders are not part
    # of a key, as [data] folders are not, so they hold on any machine)
    keys = _intermediate_keys(_write(tmp_path, ["mnli+mlm", "mnli@translated"]))
    assert keys == PINNED


PINNED = {"mnli+mlm seed 1": "2ae9da11143bead42814", "mnli+mlm seed 2": "ad433b0a093d73893d2f",
          "mnli@translated seed 1": "5a2df7be250f0b9b1aa4", "mnli@translated seed 2": "1bd92cb522c9dc9c7667"}


def test_the_string_and_list_forms_are_one_setting(tmp_path):
    assert _intermediate_keys(_write(tmp_path, ["mnli+mlm"])) == _intermediate_keys(_write(tmp_path, [["mnli", "mlm"]]))


def test_mlm_settings_change_the_keys_that_depend_on_them(tmp_path):
    base = _intermediate_keys(_write(tmp_path, ["mnli+mlm"]))
    for change in ('mask_rate = 0.2', 'mixing = "proportional"', 'lines_per_language = 2'):
        changed = _intermediate_keys(_write(tmp_path, ["mnli+mlm"], sections=MLM + change + "\n"))
        assert set(changed.values()).isdisjoint(base.values()), change
    fewer = MLM.replace('"ru", "zh", "ar"', '"ru"')
    assert set(_intermediate_keys(_write(tmp_path, ["mnli+mlm"], sections=fewer)).values()).isdisjoint(base.values())


def test_the_plan_counts_the_alternatives_loads(tmp_path):
    cells = declare(load_spec(_write(tmp_path, ["mnli+mlm", "mnli@translated"])))
    loads = [c.params for c in cells if c.kind == "load"]
    assert sorted(p["language"] for p in loads if p["task"] == "mlm") == sorted(["en", "de", "ru", "zh", "ar"])
    # English translated data is MNLI's own English training set: one load, shared with plain MNLI
    assert sorted(p["language"] for p in loads if p["task"] == "mnli@translated") == ["ar", "de", "ru", "zh"]
    train = next(c for c in cells if c.kind == "train_intermediate" and c.params["intermediate"] == "mnli@translated")
    assert train.parents["train:mnli@translated:en"] == next(
        c.key for c in cells if c.kind == "load" and c.params == {**c.params, "task": "mnli", "split": "train"})
    assert "dev:mnli@translated" in train.parents  # model selection on MNLI's English dev set

    # an alternative inside a multitask setting: each part keeps its own data, the tasks' dev sets select
    mixed = next(c for c in declare(load_spec(_write(tmp_path, [["mnli@translated", "qqp+mlm"]])))
                 if c.kind == "train_intermediate")
    assert mixed.params["tasks"] == ["mnli@translated", "qqp", "mlm"] and mixed.params["intermediate"] == "mnli@translated+qqp+mlm"
    assert sorted(r for r in mixed.parents if r.startswith("dev:")) == ["dev:mnli@translated", "dev:qqp"]
    assert sum(r.startswith("train:mlm:") for r in mixed.parents) == 5 and "train:qqp" in mixed.parents


@pytest.mark.parametrize("intermediate, sections, says", [
    (["mnli+foo"], MLM, "unknown task 'foo'"),
    (["mnli+mln"], MLM, "did you mean 'mlm'?"),
    (["mnli@backtranslated"], TRANSLATED, "unknown variant '@backtranslated' of task 'mnli'"),
    (["mnli+mlm"], TRANSLATED, "add an [mlm] section"),
    (["squad@translated"], MLM, "add [translated.squad] folder"),
    (["qqp@translated"], MLM, "task 'qqp' has no translated training data"),
    (["mlm"], MLM, "mlm is trained together with an intermediate task"),
    (["mnli+mnli@translated"], MLM + TRANSLATED, "names 'mnli' more than once"),
    (["mnli@translated"], TRANSLATED.replace("translated/mnli", "nowhere"), "translated.mnli.folder: directory"),
    (["mnli@translated"], TRANSLATED.replace('"ar"]', '"ar", "fr"]'), "no translations into 'fr'"),
    (["mnli@translated"], TRANSLATED.replace('"ar"]', '"ar", "ja"]'), "have no language 'ja'"),
    (["mnli+mlm"], MLM.replace('"ar"]', '"ar", "sw"]'), "no text for 'sw'"),
    (["mnli+mlm"], MLM + 'hub = "wikimedia/wikipedia"\n', "exactly one of folder"),
    (["mnli+mlm"], MLM.replace(f'folder = "{FIXTURES}/mlm"', 'hub = "wikimedia/wikipedia"'), "lines_per_language"),
    (["mnli+mlm"], MLM + "mask_rat = 0.2\n", "did you mean 'mask_rate'?"),
    (["mnli+mlm"], MLM + 'mixing = "round-robin"\n', "mixing"),
    (["mnli"], '[translated.qqp]\nfolder = "x"\n', "translated.qqp: no translated training data"),
])
def test_bad_alternatives_end_in_one_clear_message(tmp_path, capsys, intermediate, sections, says):
    code, out, err = run_cli(["plan", _write(tmp_path, intermediate, sections)], capsys)
    assert code == 2
    assert says in err and "Traceback" not in err + out, err
    assert not (tmp_path / "alt.duckdb").exists()


def test_xstore_tasks_names_the_translations(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run_cli(["tasks", "mnli"], capsys)
    assert code == 0 and "mnli@translated" in out and "en-{lang}-translated.tsv" in out and "facebook/xnli" in out
    code, out, _ = run_cli(["tasks", "qqp"], capsys)
    assert code == 0 and "@translated" not in out
