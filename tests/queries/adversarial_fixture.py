"""The hand-computed clean and perturbed predictions shared by the adversarial query tests.

One run, German test inputs; confidence of [log k, 0] is k / (k + 1), and [0, log k] predicts class 1:
    input  clean                           perturbed                        outcome
    e1     [log 3, 0]  gold 0: 0.75 right   [0, log 5]  gold 0: 5/6 wrong    attack succeeded
    e2     [log 3, 0]  gold 1: 0.75 wrong   [log 3, 0]  gold 1: 0.75 wrong   skipped (wrong when clean)
    e3     [0, log 7]  gold 1: 0.875 right  [0, log 3]  gold 1: 0.75 right   attack failed
    e4     [log 19, 0] gold 0: 0.95 right   [0, log 19] gold 0: 0.95 wrong   attack succeeded
    e5     [log 3, 0]  gold 0: 0.75 right   (no perturbed prediction)        not paired
A temperature fit T = 2 adds a "temperature" row for each. e2's perturbed text is its clean text (as a transfer
attack leaves an input its reference run gets wrong): input_changed is false for it, true for e1, e3 and e4.
"""

from __future__ import annotations

from math import log

CLEAN = {"e1": ([log(3), 0], 0), "e2": ([log(3), 0], 1), "e3": ([0, log(7)], 1), "e4": ([log(19), 0], 0),
         "e5": ([log(3), 0], 0)}
PERTURBED = {"e1": ([0, log(5)], 0), "e2": ([log(3), 0], 1), "e3": ([0, log(3)], 1), "e4": ([0, log(19)], 0)}
CHANGED = {"e1": True, "e2": False, "e3": True, "e4": True}


def fill(qdb, run: str = "r", attack: str = "charnoise") -> None:
    qdb.add_run(run)
    for rows, which in ((CLEAN, "none"), (PERTURBED, attack)):
        ids = sorted(rows)
        qdb.add_predictions(run, [rows[i][0] for i in ids], [rows[i][1] for i in ids], language="de",
                            attack=which, example_ids=ids, changed=[which != "none" and CHANGED[i] for i in ids])
    qdb.add_fit(run, 2.0)
