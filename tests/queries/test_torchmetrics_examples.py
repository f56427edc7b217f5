"""The examples in torchmetrics' documentation (torchmetrics 1.9, functional classification), stored as
logits = ln(probability) so that the query's softmax gives back the documented probabilities.

multiclass_calibration_error: preds [[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60],
  [0.90, 0.05, 0.05]], target [0, 1, 2, 0], n_bins 3 -> l1 0.2000, max 0.2333
binary_calibration_error: preds [0.25, 0.25, 0.55, 0.75, 0.75], target [0, 0, 1, 1, 1], n_bins 2 -> l1 0.2900.
  It bins the positive-class probability, which is classwise ECE's class-1 term; for two classes and
  bins symmetric about 0.5 the class-0 term is the same, so classwise ECE gives 0.29 too.
binary_auroc: preds [0, 0.5, 0.7, 0.8], target [0, 1, 1, 0] -> 0.5. A confidence cannot be 0 for two
  classes, so the scores go through an order-preserving map to 0.6, 0.75, 0.8, 0.95 (AUROC is rank-based).
"""

from __future__ import annotations

from math import log

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import (binary_auroc, binary_calibration_error,
                                                    multiclass_calibration_error)

from querydb import qdb  # noqa: F401  (qdb is a fixture)

MULTICLASS = [[0.25, 0.20, 0.55], [0.55, 0.05, 0.40], [0.10, 0.30, 0.60], [0.90, 0.05, 0.05]]
MULTICLASS_TARGET = [0, 1, 2, 0]
BINARY = [0.25, 0.25, 0.55, 0.75, 0.75]
BINARY_TARGET = [0, 0, 1, 1, 1]


def test_the_documented_values_hold_in_this_torchmetrics():
    preds, target = torch.tensor(MULTICLASS), torch.tensor(MULTICLASS_TARGET)
    assert multiclass_calibration_error(preds, target, num_classes=3, n_bins=3, norm="l1").item() == pytest.approx(0.2, abs=1e-4)
    assert multiclass_calibration_error(preds, target, num_classes=3, n_bins=3, norm="max").item() == pytest.approx(0.2333, abs=1e-4)
    assert binary_calibration_error(torch.tensor(BINARY), torch.tensor(BINARY_TARGET), n_bins=2).item() == pytest.approx(0.29, abs=1e-4)
    assert binary_auroc(torch.tensor([0, 0.5, 0.7, 0.8]), torch.tensor([0, 1, 1, 0])).item() == 0.5


def test_multiclass_example(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", np.log(MULTICLASS), MULTICLASS_TARGET)
    # bin 1 [1/3, 2/3): 0.55 wrong, 0.55 wrong, 0.6 right -> |1/3 - 0.5667| = 0.2333; bin 2: 0.9 right -> 0.1
    assert qdb.query("ece_by_language", n_bins=3)["ece"][0] == pytest.approx(0.2, abs=1e-6)
    assert qdb.query("mce_by_language", n_bins=3)["mce"][0] == pytest.approx(0.7 / 3, abs=1e-6)


def test_binary_example_as_classwise_ece(qdb):
    qdb.add_run("r")
    p = np.array(BINARY)
    qdb.add_predictions("r", np.log(np.stack([1 - p, p], axis=1)), BINARY_TARGET)
    assert qdb.query("classwise_ece_by_language", n_bins=2)["classwise_ece"][0] == pytest.approx(0.29, abs=1e-6)


def test_binary_auroc_example(qdb):
    qdb.add_run("r")
    k = [1.5, 3, 4, 19]  # [log k, 0] -> confidence 0.6, 0.75, 0.8, 0.95, in the order of 0, 0.5, 0.7, 0.8
    qdb.add_predictions("r", [[log(x), 0] for x in k], [1, 0, 0, 1])  # gold 0 = right = target 1
    assert qdb.query("auroc_by_language")["auroc"][0] == pytest.approx(0.5, abs=1e-12)
