"""Every spec mistake ends in one line naming the file and the key, exit code 2, and no database."""

import pytest

from conftest import run_cli, write_spec

# (what to change in the small spec, a fragment the message must contain)
CASES = [
    (lambda s: s.replace('targets = ["demo-nli"]', 'targets = ["demo-nli"'), "TOML syntax error"),
    (lambda s: s.replace("seeds = [1]", "seeds = [1]\nseed = 3"), "unknown key 'grid.seed'; did you mean 'seeds'?"),
    (lambda s: s.replace("[predict]", "[predict]\nbatchsize = 8"), "did you mean 'batch_size'?"),
    (lambda s: s.replace('targets = ["demo-nli"]', 'targets = ["demo-nly"]'), "unknown task 'demo-nly'; did you mean 'demo-nli'?"),
    (lambda s: s.replace('"demo-sentiment"]', '"sst3"]'), "unknown task 'sst3'; did you mean 'sst2'?"),
    (lambda s: s.replace('"charnoise"]', '"charnoize"]'), "unknown attack 'charnoize'; did you mean 'charnoise'?"),
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "sw"]'), "language 'sw' is not in 'demo-nli'"),
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "ger"]'), "language 'ger' is not in 'demo-nli' "
     "split 'test' (it has: en, de, fr, es, ru); did you mean 'de'?"),  # ISO 639-2/B, via langcodes
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "DE"]'), "did you mean 'de'?"),
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "fra"]'), "did you mean 'fr'?"),  # ISO 639-3
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "ru-RU"]'), "did you mean 'ru'?"),  # BCP 47
    (lambda s: s.replace('languages = ["en", "de"]', 'languages = ["en", "ess"]'), "did you mean 'es'?"),  # a typo
    (lambda s: s.replace("seeds = [1]", 'seeds = ["one"]'), "grid.seeds.0: Input should be a valid integer"),
    (lambda s: s.replace("seeds = [1]", "seeds = []"), "grid.seeds: List should have at least 1 item"),
    (lambda s: s.replace("seeds = [1]", "seeds = [1, 1]"), "duplicate entries 1"),
    (lambda s: s.replace('languages = ["en", "de"]\n', ""), "missing required key 'grid.languages'"),
    (lambda s: s.replace("learning_rate = 1e-3\nbatch_size = 16\ngrad_accum_steps = 2", "learning_rate = -1.0\nbatch_size = 16\ngrad_accum_steps = 2"),
     "train.target.learning_rate: Input should be greater than 0"),
    (lambda s: s.replace("max_steps = 8", 'max_steps = "8"'), "train.target.max_steps: Input should be a valid integer"),
    (lambda s: s.replace('"builtin:tiny-xlmr"', '"./no/such/model"'), "model directory"),
    (lambda s: s.replace('"builtin:tiny-xlmr"', '"builtin:huge"'), "unknown built-in model 'builtin:huge'"),
    (lambda s: s.replace('"builtin:tiny-xlmr"', '"not a model id!"'), "neither a local directory nor a hub id"),
    (lambda s: s.replace('["none", "temperature"]', '["none", "platt"]'), "unknown method 'platt'"),
    (lambda s: s.replace('"demo-sentiment"]', '["demo-sentiment"]]'), "a multitask setting lists two or more tasks"),
    (lambda s: s.replace('targets = ["demo-nli"]', 'targets = ["demo-sentiment"]'), "is an intermediate task only"),
    (lambda s: s + "\n[attacks.charnoise]\nrat = 0.2\n", "attacks.charnoise.rat: unknown parameter; allowed: rate, seed, similarity_threshold, similarity_encoder"),
    (lambda s: s + "\n[attacks.typo]\nrate = 0.2\n", "attacks.typo: unknown attack"),
    (lambda s: s + "\n[attacks.charnoise]\nsimilarity_threshold = 1.5\n",
     "attacks.charnoise.similarity_threshold: must lie between 0 and 1"),
    (lambda s: s + '\n[attacks.charnoise]\nsimilarity_encoder = "no/such/encoder"\n',
     "attacks.charnoise.similarity_encoder: \"base\" (the run's own pretrained model) or a local model directory"),
    (lambda s: s + '\n[data]\n"demo-nli" = "missing-folder"\n', "data.demo-nli: directory"),
    (lambda s: s.replace('database = "small.duckdb"', 'database = "nowhere/small.duckdb"'), "database: folder"),
    (lambda s: s.replace("[grid]", "grid = 3\n[grid]"), "TOML syntax error"),
    # several settings of an attack, several variants of the target training
    (lambda s: s + "\n[attacks.charnoise]\nsettings = [{ rate = 0.1 }, { rate = 0.1 }]\n",
     "attacks.charnoise.settings[1]: declares the same setting as settings[0]"),
    (lambda s: s + "\n[attacks.charnoise]\nsettings = [{ rate = 0.1 }, { rat = 0.2 }]\n",
     "attacks.charnoise.settings[1].rat: unknown parameter; allowed: rate, seed"),
    (lambda s: s + "\n[attacks.charnoise]\nsettings = [{ rate = 1.5 }]\n",
     "attacks.charnoise.settings[0].rate: must lie between 0 and 1 (got 1.5)"),
    (lambda s: s + "\n[attacks.charnoise]\nsettings = []\n", "attacks.charnoise.settings: a list of one or more"),
    (lambda s: s.replace("[train.target]", '[train.target]\nvariants = [{ label_smoothing = 0.1 }, { label_smoothing = 0.1 }]'),
     "train.target.variants[1]: declares the same training as variants[0]"),
    (lambda s: s.replace("[train.target]", "[train.target]\nvariants = [{ label_smothing = 0.1 }]"),
     "train.target.variants[0].label_smothing: not a setting a variant can change; did you mean 'label_smoothing'?"),
    (lambda s: s.replace("[train.target]", "[train.target]\nvariants = [{ label_smoothing = 1.5 }]"),
     "train.target.variants[0]: label_smoothing: Input should be less than 1"),
    (lambda s: s.replace("[train.target]", "[train.target]\nvariants = [{ checkpoint_every = 5 }]"),
     "train.target.variants[0].checkpoint_every: not a setting a variant can change"),
    (lambda s: s.replace("[train.intermediate]", "[train.intermediate]\nvariants = [{ label_smoothing = 0.1 }]"),
     "unknown key 'train.intermediate.variants'"),
]


@pytest.mark.parametrize("change, message", CASES, ids=[m[:40] for _, m in CASES])
def test_bad_spec(tmp_path, capsys, change, message):
    path = write_spec(tmp_path)
    path.write_text(change(path.read_text()))
    code, out, err = run_cli(["fill", path], capsys)
    assert code == 2
    assert message in " ".join(err.split()), err
    assert str(path.name) in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "small.duckdb").exists()


def test_syntax_error_names_the_line(tmp_path, capsys):
    path = write_spec(tmp_path)
    text = path.read_text().replace("seeds = [1]", "seeds = [1,,]")
    path.write_text(text)
    line = text.splitlines().index("seeds = [1,,]") + 1
    code, _, err = run_cli(["plan", path], capsys)
    assert code == 2 and f"at line {line}," in err


def test_missing_spec_file(tmp_path, capsys):
    code, _, err = run_cli(["plan", tmp_path / "nope.toml"], capsys)
    assert code == 2 and "does not exist" in err


def test_a_folder_is_not_a_spec(tmp_path, capsys):
    code, out, err = run_cli(["plan", tmp_path], capsys)
    assert code == 2 and err.strip() == f"error: spec file {tmp_path} is a folder; give the TOML file in it"


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    """Some Windows editors start UTF-8 files with U+FEFF; TOML's parser reads it as text and fails at 1:1."""
    path = write_spec(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, out, err = run_cli(["plan", path], capsys)
    assert code == 0, err
    assert "plan for small.duckdb" in out
