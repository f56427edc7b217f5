"""confidence_shift on the hand-computed pairs of adversarial_fixture.

    input  clean conf  perturbed conf  shift     clean gold p  perturbed gold p  succeeded
    e1     0.75        5/6             1/12      0.75          1/6               yes
    e2     0.75        0.75            0         0.25          0.25              no (wrong when clean)
    e3     0.875       0.75            -0.125    0.875         0.75              no
    e4     0.95        0.95            0         0.95          0.05              yes
At T = 2 each confidence is sqrt(k) / (sqrt(k) + 1) of its k, on both sides.
"""

from __future__ import annotations

from math import sqrt

import pytest

from adversarial_fixture import fill
from querydb import by_key, qdb  # noqa: F401  (qdb is a fixture)

TOL = 1e-7
EXPECTED = {  # example: clean conf, perturbed conf, clean gold p, perturbed gold p, clean right, perturbed right
    "e1": (0.75, 5 / 6, 0.75, 1 / 6, True, False),
    "e2": (0.75, 0.75, 0.25, 0.25, False, False),
    "e3": (0.875, 0.75, 0.875, 0.75, True, True),
    "e4": (0.95, 0.95, 0.95, 0.05, True, False),
}


def s(k):
    return sqrt(k) / (sqrt(k) + 1)


def test_per_input_rows(qdb):
    fill(qdb)
    got = by_key(qdb.query("confidence_shift"), "calibration", "example_id")
    assert set(got) == {(c, e) for c in ("none", "temperature") for e in EXPECTED}  # e5 has no partner
    for example, (cc, pc, cg, pg, cr, pr) in EXPECTED.items():
        row = got[("none", example)]
        assert row["clean_confidence"] == pytest.approx(cc, abs=TOL)
        assert row["perturbed_confidence"] == pytest.approx(pc, abs=TOL)
        assert row["confidence_shift"] == pytest.approx(pc - cc, abs=TOL)
        assert row["clean_gold_probability"] == pytest.approx(cg, abs=TOL)
        assert row["perturbed_gold_probability"] == pytest.approx(pg, abs=TOL)
        assert (bool(row["clean_correct"]), bool(row["perturbed_correct"])) == (cr, pr)
        assert bool(row["attack_succeeded"]) == (cr and not pr)
        assert (row["language"], row["attack"], row["temperature"]) == ("de", "charnoise", 1.0)
    e1 = got[("temperature", "e1")]
    assert e1["temperature"] == 2.0
    assert e1["confidence_shift"] == pytest.approx(s(5) - s(3), abs=TOL)
    assert got[("temperature", "e3")]["clean_pred_label"] == 1 and got[("temperature", "e1")]["perturbed_pred_label"] == 1


def test_input_changed_and_changed_only(qdb):
    fill(qdb)
    got = by_key(qdb.query("confidence_shift"), "calibration", "example_id")
    assert {e: got[("none", e)]["input_changed"] for e in EXPECTED} == {"e1": True, "e2": False, "e3": True, "e4": True}
    kept = qdb.query("confidence_shift", changed_only=True)
    assert sorted(set(kept["example_id"])) == ["e1", "e3", "e4"] and len(kept) == 6
