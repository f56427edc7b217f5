"""ece_equal_mass_by_language on a tiny hand-computed database.

Four predictions, confidence k / (k + 1) of [log k, 0]; gold 0 is right, gold 1 wrong:
    k = 1.5 -> 0.6 wrong, k = 3 -> 0.75 right, k = 4 -> 0.8 right, k = 19 -> 0.95 wrong
  n_bins = 2: {0.6, 0.75}: acc 0.5, conf 0.675 -> 0.175; {0.8, 0.95}: acc 0.5, conf 0.875 -> 0.375
              ECE = (2 * 0.175 + 2 * 0.375) / 4 = 0.275
  n_bins = 3: ntile sizes 2, 1, 1: {0.6, 0.75} 0.175; {0.8} |1 - 0.8| = 0.2; {0.95} 0.95
              ECE = (2 * 0.175 + 0.2 + 0.95) / 4 = 0.375
  n_bins = 10 (more bins than inputs): one input per bin: (0.6 + 0.25 + 0.2 + 0.95) / 4 = 0.5, 4 bins
  n_bins = 1: |0.5 - (0.6 + 0.75 + 0.8 + 0.95) / 4| = |0.5 - 0.775| = 0.275
"""

from __future__ import annotations

from math import log

import pytest

from querydb import qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7


@pytest.fixture
def filled(qdb):
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(1.5), 0], [log(3), 0], [log(4), 0], [log(19), 0]], [1, 0, 0, 1])
    return qdb


@pytest.mark.parametrize("n_bins, bins, ece", [(2, 2, 0.275), (3, 3, 0.375), (10, 4, 0.5), (1, 1, 0.275)])
def test_bins_of_equal_size(filled, n_bins, bins, ece):
    got = filled.query("ece_equal_mass_by_language", n_bins=n_bins)
    assert len(got) == 1 and got["n"][0] == 4 and got["bins"][0] == bins
    assert got["ece_equal_mass"][0] == pytest.approx(ece, abs=TOL)


def test_ties_are_split_by_example_id(qdb):
    """Two inputs at the same confidence 0.75 in two bins: the lower example_id goes to the lower bin."""
    qdb.add_run("r")
    qdb.add_predictions("r", [[log(3), 0], [log(3), 0]], [0, 1], example_ids=["b-right", "a-wrong"])
    got = qdb.query("ece_equal_mass_by_language", n_bins=2)
    # bin 1 = a-wrong: |0 - 0.75|; bin 2 = b-right: |1 - 0.75| -> (0.75 + 0.25) / 2
    assert got["ece_equal_mass"][0] == pytest.approx(0.5, abs=TOL)
    # one bin pools them: |0.5 - 0.75|
    assert qdb.query("ece_equal_mass_by_language", n_bins=1)["ece_equal_mass"][0] == pytest.approx(0.25, abs=TOL)
