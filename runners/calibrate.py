"""The `fit_calibration` cell: temperature scaling (Guo et al. 2017) fit on dev predictions.

One scalar T > 0 minimises the negative log-likelihood of softmax(logits / T). NLL is convex in 1/T,
so unimodal in log T, and a golden-section search over log T finds the optimum without a gradient; T is
stored on a `calibration_fit` row and applied to the logits in SQL. Method "temperature" fits on English dev, the
zero-shot setting's only labels, and applies to every language; "temperature-oracle" fits on one target
language's own dev set and applies to that language only: an upper bound, labelled so on its row.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from xstore.errors import UserError
from xstore.runners import CellKind
from xstore.runners.rows import model_rows
from xstore.schema import CalibrationFit

# Search log T in [log 0.05, log 20] first: wider than any temperature Guo et al. 2017 report (Table S1 of
# their appendix stays within 1 to 4). A minimum near an end of that range may lie beyond it (a real
# under-confident encoder was fit T = 0.058 against the old floor of 0.05), so the search then widens on
# that side, by e^4 at a time, up to LOG_T_LIMITS: far enough for any real model, and bounded so a dev set
# that the model gets all right (whose NLL falls for ever as T -> 0) cannot run away.
LOG_T_RANGE = (math.log(0.05), math.log(20.0))
LOG_T_LIMITS = (math.log(1e-4), math.log(1e4))
# "At or next to a limit": within this factor of it (the same factor migration 0004 used to flag old fits).
BOUND_FACTOR = 1.25
_WIDEN = 4.0


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of softmax(logits / temperature), in float64."""
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):  # -inf padding: exp(-inf) = 0, as intended
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, tol: float = 1e-6) -> float:
    """The temperature minimising `nll`: golden-section search on log T over LOG_T_RANGE, widened towards
    LOG_T_LIMITS while the minimum sits within BOUND_FACTOR of the searched range's end."""
    lo, hi = LOG_T_RANGE
    edge = math.log(BOUND_FACTOR)
    while True:
        log_t = _golden_section(logits, labels, lo, hi, tol)
        # the new range keeps 2 edges of the old one, so the minimum just found is never near its other end
        if log_t - lo < edge and lo > LOG_T_LIMITS[0]:
            lo, hi = max(LOG_T_LIMITS[0], lo - _WIDEN), lo + 2 * edge
        elif hi - log_t < edge and hi < LOG_T_LIMITS[1]:
            lo, hi = hi - 2 * edge, min(LOG_T_LIMITS[1], hi + _WIDEN)
        else:
            return math.exp(log_t)


def at_bound(temperature: float) -> bool:
    """Whether a fitted T lies at or next to (within BOUND_FACTOR of) a limit of the search: not a minimum."""
    low, high = (math.exp(x) for x in LOG_T_LIMITS)
    return temperature <= low * BOUND_FACTOR or temperature >= high / BOUND_FACTOR


def _golden_section(logits: np.ndarray, labels: np.ndarray, lo: float, hi: float, tol: float) -> float:
    """The log T in [lo, hi] minimising `nll` (unimodal there), to within tol."""
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
    return (lo + hi) / 2


def run(ctx) -> dict[str, pa.Table]:
    cell, p = ctx.cell, ctx.cell.params
    rows = ctx.fetch("SELECT logits, label FROM prediction WHERE cell_key = ? ORDER BY example_id",
                     [cell.parents["predictions"]])
    logits, labels = fit_inputs(rows.column("logits").to_pylist(), rows.column("label").to_pylist())
    if len(labels) == 0:
        raise UserError(f"no {p['fit_language']} {p['fit_split']} prediction of {p['task']!r} has its gold answer "
                        "among the scored candidates: nothing to fit a temperature on")
    temperature = fit_temperature(logits, labels)
    fit = CalibrationFit(
        key=cell.key, run_key=cell.parents["run"], method=p["method"], temperature=temperature,
        params=_params(p["method"]),
        fit_task=p["task"], fit_split=p["fit_split"], fit_language=p["fit_language"], n_examples=len(labels),
        nll_before=nll(logits, labels, 1.0), nll_after=nll(logits, labels, temperature),
        at_bound=at_bound(temperature),
    )
    return {"calibration_fit": model_rows([fit])}


KINDS = (CellKind("fit_calibration", order=6, version=1, run=run),)


def fit_inputs(logits: list[list[float]], labels: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Logits as one float32 matrix and labels, for the rows that have a gold answer among their candidates.

    Span rows score their n-best candidates, and retrieval rows their top-k, so a row's gold can be
    missing (label -1): such a row has no likelihood and is left out of the fit. Span rows can also have
    fewer than n candidates (short contexts); they are padded with -inf, which softmax gives zero mass.
    """
    keep = [i for i, label in enumerate(labels) if label >= 0]
    width = max((len(logits[i]) for i in keep), default=0)
    matrix = np.full((len(keep), width), -np.inf, dtype=np.float32)
    for row, i in enumerate(keep):
        matrix[row, :len(logits[i])] = logits[i]
    return matrix, np.array([labels[i] for i in keep], dtype=np.int64)


def _params(method: str) -> dict:
    """How T was found, and for the oracle what it is: stored with the fit, for whoever reads the row."""
    params = {"search": "golden-section on log T from [0.05, 20], widened towards a limit the minimum is near",
              "range": [math.exp(x) for x in LOG_T_LIMITS]}
    if method == "temperature-oracle":
        params["note"] = ("oracle upper bound: fit on the target language's own dev labels, which zero-shot "
                          "transfer does not have; applies to that language only")
    return params
