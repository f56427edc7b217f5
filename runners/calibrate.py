"""The `fit_calibration` cell: temperature scaling (Guo et al. 2017) fit on dev predictions.

One scalar T > 0 minimises the negative log-likelihood of softmax(logits / T). NLL is convex in 1/T,
so a golden-section search over log T finds the optimum without a gradient; T is stored on a
`calibration_fit` row and applied to the logits in SQL. Method "temperature" fits on English dev, the
zero-shot setting's only labels, and applies to every language; "temperature-oracle" fits on one target
language's own dev set and applies to that language only: an upper bound, labelled so on its row.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from xstore.runners.rows import model_rows
from xstore.schema import CalibrationFit

# Search log T in [log 0.05, log 20]: wider than any temperature Guo et al. 2017 report (Table S1 of
# their appendix stays within 1 to 4), and bounded so a degenerate dev set cannot run away.
LOG_T_RANGE = (math.log(0.05), math.log(20.0))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of softmax(logits / temperature), in float64."""
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, tol: float = 1e-6) -> float:
    """The temperature minimising `nll`, by golden-section search on log T."""
    lo, hi = LOG_T_RANGE
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(logits, labels, math.exp(a)), nll(logits, labels, math.exp(b))
    while hi - lo > tol:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(logits, labels, math.exp(b))
    return math.exp((lo + hi) / 2)


def run(ctx) -> dict[str, pa.Table]:
    cell, p = ctx.cell, ctx.cell.params
    rows = ctx.fetch("SELECT logits, label FROM prediction WHERE cell_key = ? ORDER BY example_id",
                     [cell.parents["predictions"]])
    logits = np.array(rows.column("logits").to_pylist(), dtype=np.float32)
    labels = np.array(rows.column("label").to_pylist(), dtype=np.int64)
    temperature = fit_temperature(logits, labels)
    fit = CalibrationFit(
        key=cell.key, run_key=cell.parents["run"], method=p["method"], temperature=temperature,
        params=_params(p["method"]),
        fit_task=p["task"], fit_split=p["fit_split"], fit_language=p["fit_language"], n_examples=len(labels),
        nll_before=nll(logits, labels, 1.0), nll_after=nll(logits, labels, temperature),
    )
    return {"calibration_fit": model_rows([fit])}


def _params(method: str) -> dict:
    """How T was found, and for the oracle what it is: stored with the fit, for whoever reads the row."""
    params = {"search": "golden-section on log T", "range": [math.exp(x) for x in LOG_T_RANGE]}
    if method == "temperature-oracle":
        params["note"] = ("oracle upper bound: fit on the target language's own dev labels, which zero-shot "
                          "transfer does not have; applies to that language only")
    return params
