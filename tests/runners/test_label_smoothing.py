"""Label smoothing (TrainSettings.label_smoothing; Ahuja et al. 2022 used 0.1) is a training option: it gives
the run a new key and changes the training loss it logs, from the same data, seed and initial weights. Declared
as a variant beside the unsmoothed run, it is a run variant of its own in every answer."""

import json

from xstore.db import Store
from xstore.fill import fill
from xstore.spec import load_spec


def test_label_smoothing_changes_the_logged_loss(small_copy):
    path = small_copy / "small.toml"
    text = path.read_text()
    # only the no-intermediate target run of seed 1, English only, and nothing downstream but its predictions
    text = text.replace('intermediate = ["none", "demo-sentiment"]', 'intermediate = ["none"]')
    text = text.replace('languages = ["en", "de"]', 'languages = ["en"]')
    text = text.replace('attacks = ["none", "charnoise"]', 'attacks = ["none"]')
    text = text.replace('calibration = ["none", "temperature"]', 'calibration = ["none"]')
    # the unsmoothed variant has the table's own values: its run is the one already stored
    text = text.replace("[train.target]\n", "[train.target]\nvariants = [{ label_smoothing = 0.0 }, { label_smoothing = 0.1 }]\n")
    path.write_text(text)
    spec = load_spec(path)
    store = Store(spec.database_path)
    report = fill(spec, store)
    assert report.exit_code == 0, report.failed
    assert report.computed == {"train_target": 1, "predict_clean": 1}
    with store.connect(read_only=True) as con:
        runs = con.execute("""SELECT key, hparams FROM training_run
                              WHERE phase = 'target' AND intermediate = 'none' AND seed = 1""").fetchall()
        smoothing = {key: json.loads(h)["label_smoothing"] for key, h in runs}
        assert sorted(smoothing.values()) == [0.0, 0.1]
        losses = {value: con.execute("SELECT step, loss FROM training_step WHERE run_key = ? ORDER BY step",
                                     [key]).fetchall() for key, value in smoothing.items()}
    plain, smoothed = losses[0.0], losses[0.1]
    assert [s for s, _ in plain] == [s for s, _ in smoothed]  # the same logging schedule
    # Smoothing changes the objective itself (0.9 x cross-entropy + 0.1 x the mean over classes of -log p_k),
    # so even the first logged loss, over the same first batches from the same initial weights, differs.
    assert plain[0][1] != smoothed[0][1]
    assert all(a != b for (_, a), (_, b) in zip(plain, smoothed))
    with store.connect(read_only=True) as con:
        variants = dict(con.execute("SELECT run_key, variant FROM target_run").fetchall())
        rows = con.execute("SELECT variant, count(*) FROM calibrated_prediction WHERE intermediate = 'none' "
                           "AND calibration = 'none' AND attack = 'none' AND split = 'test' AND language = 'en' GROUP BY variant").fetchall()
    assert {variants[key]: value for key, value in smoothing.items()} == {
        "label_smoothing=0.0": 0.0, "label_smoothing=0.1": 0.1}
    assert sorted(rows) == [("label_smoothing=0.0", 150), ("label_smoothing=0.1", 150)]
