"""The metric queries agree with independent implementations on random data (see test_agreement_random for
why rows near a bin edge are dropped): MCE with torchmetrics' calibration error (norm="max", 15 bins),
classwise ECE with torchmetrics' binary calibration error per class, equal-mass ECE, Brier score, NLL and
AURC with NumPy, AUROC with torchmetrics' binary_auroc and a rank-based Mann-Whitney statistic, and the
reliability bins with a NumPy histogram; with 3 and with 5 classes (the lambda path), at T = 1 and 1.7."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchmetrics.functional.classification import (binary_auroc, binary_calibration_error,
                                                    multiclass_calibration_error)

from querydb import qdb  # noqa: F401  (qdb is a fixture)
from test_agreement_random import LANGUAGES, near_edge, random_predictions, softmax

TEMPERATURE = 1.7


def _fill(qdb, logits, labels, language):
    qdb.add_run("r")
    for lang in LANGUAGES:
        rows = language == lang
        qdb.add_predictions("r", logits[rows], labels[rows], language=lang)
    qdb.add_fit("r", TEMPERATURE)


@pytest.fixture(params=[3, 5], ids=["3 classes", "5 classes"])
def random_db(qdb, request):
    k = request.param
    rng = np.random.default_rng(11 + k)
    logits, labels, language = random_predictions(rng, 1500, k, (1.0, TEMPERATURE), (10, 15))
    # classwise ECE bins every class probability, so keep only rows with none near an edge
    keep = np.ones(len(labels), dtype=bool)
    for t in (1.0, TEMPERATURE):
        probs = softmax(logits, t)
        keep &= ~near_edge(probs, (15,)).any(axis=1)
    logits, labels, language = logits[keep], labels[keep], language[keep]
    _fill(qdb, logits, labels, language)
    return qdb, logits, labels, language, k


def _groups(logits, labels, language):
    for lang in LANGUAGES:
        rows = language == lang
        for method, t in (("none", 1.0), ("temperature", TEMPERATURE)):
            probs = softmax(logits[rows], t)
            yield lang, method, t, probs, labels[rows]


def _value(frame, column, lang, method):
    row = frame[(frame["language"] == lang) & (frame["calibration"] == method)]
    assert len(row) == 1
    return row[column].iloc[0]


def test_mce_classwise_brier_nll(random_db):
    qdb, logits, labels, language, k = random_db
    mce = qdb.query("mce_by_language", n_bins=15)
    classwise = qdb.query("classwise_ece_by_language", n_bins=15)
    brier, nll = qdb.query("brier_by_language"), qdb.query("nll_by_language")
    for lang, method, t, probs, y in _groups(logits, labels, language):
        p, target = torch.tensor(probs), torch.tensor(y, dtype=torch.long)
        reference = multiclass_calibration_error(p, target, num_classes=k, n_bins=15, norm="max").item()
        assert _value(mce, "mce", lang, method) == pytest.approx(reference, abs=1e-5), (lang, method)
        per_class = [binary_calibration_error(p[:, c].contiguous(), (target == c).long(), n_bins=15, norm="l1").item()
                     for c in range(k)]
        assert _value(classwise, "classwise_ece", lang, method) == pytest.approx(np.mean(per_class), abs=1e-5)
        onehot = np.eye(k)[y]
        assert _value(brier, "brier", lang, method) == pytest.approx(((probs - onehot) ** 2).sum(axis=1).mean(), abs=1e-9)
        reference_nll = F.cross_entropy(torch.tensor(logits[language == lang], dtype=torch.float64) / t, target).item()
        assert _value(nll, "nll", lang, method) == pytest.approx(reference_nll, abs=1e-9)
        assert _value(nll, "nll", lang, method) == pytest.approx(-np.log(probs[np.arange(len(y)), y]).mean(), abs=1e-9)


def numpy_equal_mass_ece(confidence, correct, n_bins):
    order = np.argsort(confidence, kind="stable")
    total = 0.0
    for members in np.array_split(order, n_bins):
        if len(members):
            total += len(members) * abs(correct[members].mean() - confidence[members].mean())
    return total / len(confidence)


def mann_whitney_auroc(score, positive):
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    for value in np.unique(score):  # ties share their mean rank
        tied = score == value
        ranks[tied] = ranks[tied].mean()
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def numpy_aurc(confidence, correct):
    errors = 1 - correct[np.argsort(-confidence, kind="stable")]
    return (np.cumsum(errors) / np.arange(1, len(errors) + 1)).mean()


def test_equal_mass_auroc_aurc_and_bins(random_db):
    qdb, logits, labels, language, k = random_db
    equal_mass = qdb.query("ece_equal_mass_by_language", n_bins=15)
    auroc, aurc = qdb.query("auroc_by_language"), qdb.query("aurc_by_language")
    bins = qdb.query("reliability_bins", n_bins=15)
    for lang, method, t, probs, y in _groups(logits, labels, language):
        confidence = probs.max(axis=1)
        correct = (probs.argmax(axis=1) == y).astype(np.float64)
        assert len(np.unique(confidence)) == len(confidence)  # no ties: every definition agrees
        assert _value(equal_mass, "ece_equal_mass", lang, method) == pytest.approx(
            numpy_equal_mass_ece(confidence, correct, 15), abs=1e-9)
        expected = mann_whitney_auroc(confidence, correct == 1)
        assert _value(auroc, "auroc", lang, method) == pytest.approx(expected, abs=1e-9)
        reference = binary_auroc(torch.tensor(confidence), torch.tensor(correct, dtype=torch.long)).item()
        assert _value(auroc, "auroc", lang, method) == pytest.approx(reference, abs=1e-6)
        assert _value(aurc, "aurc", lang, method) == pytest.approx(numpy_aurc(confidence, correct), abs=1e-9)
        got = bins[(bins["language"] == lang) & (bins["calibration"] == method)]
        index = np.minimum(np.floor(confidence * 15), 14).astype(int)
        counts = np.bincount(index, minlength=15)
        assert got["n"].tolist() == counts[counts > 0].tolist()
        assert got["accuracy"].to_numpy() == pytest.approx(
            np.bincount(index, correct, 15)[counts > 0] / counts[counts > 0], abs=1e-12)


def test_auroc_with_ties_matches_torchmetrics(qdb):
    """Confidences rounded to a few levels, so most are tied: torchmetrics' trapezoidal ROC counts a tie as 1/2."""
    rng = np.random.default_rng(3)
    level = rng.integers(1, 6, 300)  # [log k, 0] for k = 1..5: 5 confidence levels
    logits = np.stack([np.log(level + 0.5), np.zeros(300)], axis=1)
    labels = np.where(rng.random(300) < 0.3 + 0.1 * level, 0, 1)
    qdb.add_run("r")
    qdb.add_predictions("r", logits, labels)
    confidence = softmax(logits.astype(np.float32))[:, 0]
    correct = labels == 0
    reference = binary_auroc(torch.tensor(confidence), torch.tensor(correct, dtype=torch.long)).item()
    got = qdb.query("auroc_by_language")["auroc"][0]
    assert got == pytest.approx(reference, abs=1e-6)
    assert got == pytest.approx(mann_whitney_auroc(confidence, correct), abs=1e-12)
