"""The calibration queries agree with torchmetrics and with a plain NumPy implementation on random data.

torchmetrics computes in float32 and bins with bucketize(right=True) on float32 edges, so a confidence
within ~1e-7 of a bin edge may land in the neighbouring bin there (docs/dependencies.md): rows whose
confidence (at any temperature used) is within 1e-6 of an edge are dropped before anything is stored,
and torchmetrics is compared within 1e-5, NumPy (float64, like the query) within 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import binary_calibration_error, multiclass_calibration_error

from querydb import qdb  # noqa: F401  (qdb is a fixture)

LANGUAGES = ("en", "de", "sw")
TEMPERATURE = 1.7
EDGE = 1e-6


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of float32 logits, in float64."""
    z = logits.astype(np.float64) / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numpy_ece(confidence: np.ndarray, correct: np.ndarray, n_bins: int) -> float:
    """Guo et al. 2017 eq. 3 with bins [b/B, (b+1)/B) and 1.0 in the last bin, via np.digitize."""
    inner_edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    bins = np.digitize(confidence, inner_edges, right=False)  # edges[b] <= x < edges[b+1]
    total = 0.0
    for b in np.unique(bins):
        members = bins == b
        total += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return total / len(confidence)


def near_edge(confidence: np.ndarray, n_bins_list) -> np.ndarray:
    out = np.zeros(confidence.shape, dtype=bool)
    for n_bins in n_bins_list:
        scaled = confidence * n_bins
        out |= np.abs(scaled - np.round(scaled)) < EDGE * n_bins
    return out


def random_predictions(rng, n: int, k: int, temperatures, n_bins_list):
    """Random float32 logits, labels right ~70% of the time, a language each; no row near a bin edge."""
    logits = (rng.normal(size=(n, k)) * 2.5).astype(np.float32)
    pred = logits.argmax(axis=1)
    labels = np.where(rng.random(n) < 0.7, pred, rng.integers(0, k, n))
    language = rng.choice(LANGUAGES, n)
    keep = np.ones(n, dtype=bool)
    for t in temperatures:
        keep &= ~near_edge(softmax(logits, t).max(axis=1), n_bins_list)
    assert keep.sum() > 0.95 * n  # the filter drops only a few rows
    return logits[keep], labels[keep], language[keep]


def _fill(qdb, logits, labels, language, run="r"):
    qdb.add_run(run)
    for lang in LANGUAGES:
        rows = language == lang
        qdb.add_predictions(run, logits[rows], labels[rows], language=lang)


@pytest.fixture
def multiclass_db(qdb):
    rng = np.random.default_rng(20240601)
    logits, labels, language = random_predictions(rng, 2000, 3, (1.0, TEMPERATURE), (10, 15))
    _fill(qdb, logits, labels, language)
    qdb.add_fit("r", TEMPERATURE)
    return qdb, logits, labels, language


@pytest.mark.parametrize("temperature", [1.0, TEMPERATURE])
def test_ece_matches_torchmetrics_and_numpy(multiclass_db, temperature):
    qdb, logits, labels, language = multiclass_db
    method = "none" if temperature == 1.0 else "temperature"
    got15 = qdb.query("ece_by_language", n_bins=15)
    got10 = qdb.query("ece_by_language")  # default: 10 bins
    for lang in LANGUAGES:
        rows = language == lang
        probs = softmax(logits[rows], temperature)
        confidence = probs.max(axis=1)
        correct = (logits[rows].argmax(axis=1) == labels[rows]).astype(np.float64)
        row15 = got15[(got15["language"] == lang) & (got15["calibration"] == method)]
        row10 = got10[(got10["language"] == lang) & (got10["calibration"] == method)]
        assert len(row15) == len(row10) == 1
        assert row15["n"].iloc[0] == rows.sum()
        reference = multiclass_calibration_error(
            torch.tensor(probs), torch.tensor(labels[rows], dtype=torch.long), num_classes=3, n_bins=15,
            norm="l1").item()
        assert row15["ece"].iloc[0] == pytest.approx(reference, abs=1e-5), lang
        assert row15["ece"].iloc[0] == pytest.approx(numpy_ece(confidence, correct, 15), abs=1e-9), lang
        assert row10["ece"].iloc[0] == pytest.approx(numpy_ece(confidence, correct, 10), abs=1e-9), lang


def test_confidence_and_accuracy_match_numpy(multiclass_db):
    qdb, logits, labels, language = multiclass_db
    confidence = qdb.query("confidence_by_language")
    accuracy = qdb.query("accuracy_by_language")
    assert len(confidence) == 2 * len(LANGUAGES) and len(accuracy) == len(LANGUAGES)
    for lang in LANGUAGES:
        rows = language == lang
        for method, temperature in (("none", 1.0), ("temperature", TEMPERATURE)):
            got = confidence[(confidence["language"] == lang) & (confidence["calibration"] == method)]
            expected = softmax(logits[rows], temperature).max(axis=1).mean()
            assert got["confidence"].iloc[0] == pytest.approx(expected, abs=1e-9), (lang, method)
            assert got["n"].iloc[0] == rows.sum()
        got = accuracy[accuracy["language"] == lang]
        assert got["accuracy"].iloc[0] == pytest.approx(
            (logits[rows].argmax(axis=1) == labels[rows]).mean(), abs=1e-9), lang
        assert got["n"].iloc[0] == rows.sum()


def test_two_classes_match_torchmetrics(qdb):
    """Binary tasks: the query's ECE is top-label ECE, i.e. torchmetrics' multiclass form with
    num_classes=2. torchmetrics' binary_calibration_error instead bins the positive-class probability
    against the 0/1 target; the two coincide exactly when every input is predicted positive (then the
    positive-class probability is the confidence and target == 1 means correct), so it is compared on
    such a subset, stored as its own language ("pos")."""
    rng = np.random.default_rng(99)
    logits, labels, language = random_predictions(rng, 1500, 2, (1.0,), (15,))
    _fill(qdb, logits, labels, language)
    positive = logits.argmax(axis=1) == 1
    pos_logits, pos_labels = logits[positive], labels[positive]
    qdb.add_predictions("r", pos_logits, pos_labels, language="pos")
    got = qdb.query("ece_by_language", n_bins=15).set_index("language")["ece"]
    for lang in LANGUAGES:
        rows = language == lang
        reference = multiclass_calibration_error(
            torch.tensor(softmax(logits[rows])), torch.tensor(labels[rows], dtype=torch.long), num_classes=2,
            n_bins=15, norm="l1").item()
        assert got[lang] == pytest.approx(reference, abs=1e-5), lang
    p_positive = softmax(pos_logits)[:, 1]
    assert (p_positive > 0.5).all()
    reference = binary_calibration_error(
        torch.tensor(p_positive), torch.tensor(pos_labels, dtype=torch.long), n_bins=15, norm="l1").item()
    assert got["pos"] == pytest.approx(reference, abs=1e-5)
    assert got["pos"] == pytest.approx(
        numpy_ece(p_positive, (pos_labels == 1).astype(np.float64), 15), abs=1e-9)
