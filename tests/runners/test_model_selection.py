"""Model selection on English dev: the best end-of-epoch checkpoint is kept (ties: the earlier one),
runs without a dev set keep their final model, and one seed gives the same model and logits twice."""

import dataclasses

import pytest
import torch

import head_tasks
from xstore.tasks import TASKS


@pytest.mark.parametrize("scores, selected", [([0.3, 0.7, 0.5, 0.6], 10), ([0.5, 0.7, 0.2, 0.7], 10)])
def test_the_best_dev_epoch_is_the_stored_checkpoint(tmp_path, monkeypatch, scores, selected):
    from transformers import AutoModelForTokenClassification

    from xstore.runners import train

    head_tasks.register(monkeypatch)
    states = {}

    def scripted(models, heads, tokenizer, dev, dev_features, batch_size):
        # the real score is computed, then replaced by the script; the weights at each evaluation are kept
        train_model = models["fx-tag"]
        states[len(states)] = {k: v.detach().clone() for k, v in train_model.state_dict().items()}
        real_dev_score(models, heads, tokenizer, dev, dev_features, batch_size)
        return scores[len(states) - 1]

    real_dev_score = train._dev_score
    monkeypatch.setattr(train, "_dev_score", scripted)
    # 40 training sentences in batches of 8: 5 optimizer steps an epoch, 4 epochs, an evaluation every 5 steps
    store = head_tasks.fill_spec(tmp_path, targets=["fx-tag"], languages=["en"], target_steps="epochs = 4.0")
    (key, path, steps, metric, score, step), = head_tasks.query(
        store, "SELECT key, checkpoint_path, steps, dev_metric, dev_score, selected_step FROM training_run")
    logged = head_tasks.query(store, "SELECT step, dev_score FROM training_step WHERE run_key = ? AND dev_score IS NOT NULL ORDER BY step", [key])
    assert logged == [(5, scores[0]), (10, scores[1]), (15, scores[2]), (20, scores[3])] and steps == 20
    assert (metric, score, step) == ("token_accuracy", max(scores), selected)
    kept = AutoModelForTokenClassification.from_pretrained(store.artifacts / path).state_dict()
    at_selected, at_last = states[selected // 5 - 1], states[3]
    assert all(torch.equal(kept[k], at_selected[k]) for k in at_selected)
    assert not all(torch.equal(kept[k], at_last[k]) for k in at_last)  # training went on after it


def test_without_a_dev_set_the_final_model_is_kept(tmp_path, monkeypatch):
    head_tasks.register(monkeypatch)
    entry = TASKS["fx-tag"]
    monkeypatch.setitem(TASKS, "fx-tag", dataclasses.replace(entry, splits={k: v for k, v in entry.splits.items() if k != "dev"}))
    store = head_tasks.fill_spec(tmp_path, targets=["fx-tag"], languages=["en"])
    (key, steps, metric, score, selected, accuracy), = head_tasks.query(
        store, "SELECT key, steps, dev_metric, dev_score, selected_step, dev_accuracy FROM training_run")
    assert (steps, metric, score, selected, accuracy) == (6, None, None, 6, None)
    assert head_tasks.query(store, "SELECT count(*) FROM training_step WHERE run_key = ? AND dev_score IS NOT NULL", [key]) == [(0,)]


def test_one_seed_gives_the_same_checkpoint_and_logits(tmp_path, monkeypatch):
    head_tasks.register(monkeypatch)
    results = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        store = head_tasks.fill_spec(tmp_path / name, targets=["fx-span"], languages=["en"])
        results.append((
            head_tasks.query(store, "SELECT key, checkpoint_sha256, dev_score, selected_step FROM training_run"),
            head_tasks.query(store, "SELECT run_key, step, loss FROM training_step ORDER BY ALL"),
            head_tasks.query(store, "SELECT example_id, label, logits, confidence FROM prediction ORDER BY example_id"),
            head_tasks.query(store, "SELECT example_id, answer, candidates, f1 FROM span_answer ORDER BY example_id"),
        ))
    assert results[0] == results[1]
    assert len(results[0][2]) == 10 and len(results[0][2][0][2]) > 1
