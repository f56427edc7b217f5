"""The README's commands are executed here, so the documentation cannot drift from the code."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
XSTORE = str(Path(sys.executable).with_name("xstore"))


def _bash_lines():
    return [line for lang, body in BLOCKS if lang == "bash" for line in body.strip().splitlines()]


def test_setup_commands_are_the_ones_ci_runs():
    install, tests = _bash_lines()[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    assert install.endswith(" && xstore demo")
    assert install.removesuffix(" && xstore demo") in ci.splitlines()
    assert tests in ci.splitlines()
    assert install.startswith("pip install torch==2.13.0")


def test_spec_example_is_valid(tmp_path):
    from xstore.spec import load_spec

    spec_toml, _ = [body for lang, body in BLOCKS if lang == "toml"]
    path = tmp_path / "spec.toml"
    path.write_text(spec_toml)
    spec = load_spec(path)
    assert spec.grid.targets == ["demo-nli"] and spec.attack_params("charnoise")["rate"] == 0.1


def _tables(toml: str) -> dict[str, str]:
    """The text of each [table] of a TOML document (before the first one: key "")."""
    out, name = {"": ""}, ""
    for line in toml.splitlines(keepends=True):
        if line.startswith("["):
            name = line.split("]")[0].strip("[")
            out[name] = ""
        out[name] += line
    return out


def test_several_settings_example_declares_them(tmp_path):
    """The second TOML block, in place of the spec's own tables of the same names: two variants of every
    target run, two charnoise rates and both deepwordbug protocols."""
    from xstore.planner import declare
    from xstore.spec import load_spec

    spec_toml, settings_toml = [body for lang, body in BLOCKS if lang == "toml"]
    tables = {**_tables(spec_toml), **{k: v for k, v in _tables(settings_toml).items() if k}}
    path = tmp_path / "spec.toml"
    path.write_text("".join(tables.values()))
    spec = load_spec(path)
    assert [v.label_smoothing for v in spec.train.target.variant_settings()] == [0.0, 0.1]
    assert [params["rate"] for _, params in spec.attack_settings("charnoise")] == [0.05, 0.1]
    assert [p["protocol"] for p, _ in spec.attack_settings("deepwordbug")] == ["transfer", "per-victim"]
    kinds = [c.kind for c in declare(spec)]
    (tmp_path / "plain.toml").write_text(spec_toml)
    plain = [c.kind for c in declare(load_spec(tmp_path / "plain.toml"))]
    assert kinds.count("train_target") == 2 * plain.count("train_target")
    assert kinds.count("train_intermediate") == plain.count("train_intermediate")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """Run the README's `xstore demo` for real; the tour runs in the folder it makes."""
    folder = tmp_path_factory.mktemp("readme")
    done = subprocess.run([XSTORE, "demo"], cwd=folder, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "computed 58 cells" in done.stdout
    assert "demo (test split, mean over seeds)" in done.stdout
    return folder / "xstore-demo"


def test_tour_commands_run(demo_dir):
    outputs = []
    for line in _bash_lines()[2:]:
        if line.startswith("cd "):
            continue
        args = ["bash", "-c", line.replace("xstore ", f"{XSTORE} ", 1) if line.startswith("xstore ") else line]
        done = subprocess.run(args, cwd=demo_dir, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (line, done.stderr[-2000:])
        outputs.append((line, done.stdout))
    # what the README says each step shows
    fills = [out for line, out in outputs if line == "xstore fill demo.toml"]
    assert "nothing to compute: all 58 declared cells are already stored" in " ".join(fills[0].split())
    assert "computed 10 cells (1 load, 4 predict_clean, 1 perturb, 4 predict_perturbed)" in " ".join(fills[-1].split())
    listed = next(out for line, out in outputs if "--list" in line and "plan" in line)
    assert listed.count(" es") == 10 and "train_" not in listed.split("missing")[-1].split("┘")[-1]
    csv_out = next(out for line, out in outputs if "--format csv" in line)
    assert csv_out.splitlines()[0].startswith(
        "base_model,intermediate,target,variant,seed,split,language,attack,calibration")
    sql_out = next(out for line, out in outputs if "--sql" in line)
    assert "charnoise" in sql_out and "es" in sql_out
    # the paper's tables: demo-nli scored by accuracy, the XTREME targets it lacks named, the oracle's row
    scores = next(out for line, out in outputs if "task_score_by_language" in line)
    assert scores.splitlines()[0].startswith("| base_model | intermediate | target | variant | seed | split |")
    assert "| accuracy |" in scores
    xtreme = next(out for line, out in outputs if "xtreme_score" in line)
    assert "bucc2018" in xtreme.splitlines()[1] and "demo-nli" in xtreme.splitlines()[1]
    table = next(out for line, out in outputs if "--table xtreme" in line)
    assert table.splitlines()[0] == "| intermediate | demo-nli | average |"
    assert "| oracle: best on target test |" in table and "not in the database: xnli, pawsx" in table


def test_tour_python_runs(demo_dir):
    (code,) = [body for lang, body in BLOCKS if lang == "python"]
    done = subprocess.run([sys.executable, "-c", code], cwd=demo_dir, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "temperature" in done.stdout and "logits" in done.stdout


def test_readonly_claim(demo_dir):
    done = subprocess.run([XSTORE, "query", "--sql", "DROP TABLE prediction", "--db", "demo.duckdb"],
                          cwd=demo_dir, capture_output=True, text=True)
    assert done.returncode == 2 and "read-only" in done.stderr


def test_example_plans_run(tmp_path):
    """Each `$ xstore plan examples/...` of the README, on a copy of the example (plan makes its database)."""
    lines = [line.removeprefix("$ ") for lang, body in BLOCKS if lang == "console" for line in body.splitlines()
             if line.startswith("$ xstore plan examples/")]
    assert "xstore plan examples/phang2020-alternatives.toml" in lines
    for line in lines:
        name = line.split("/")[-1]
        (tmp_path / name).write_text((ROOT / "examples" / name).read_text())
        done = subprocess.run([XSTORE, "plan", name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (line, done.stderr[-2000:])
        assert "train_intermediate" in done.stdout and "missing" in done.stdout
