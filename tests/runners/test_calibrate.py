"""Temperature scaling finds the temperature that generated the labels, and never raises the NLL."""

import numpy as np
import pytest

from xstore.runners.calibrate import fit_temperature, nll


def _sample(true_t, n=20000, k=3, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, size=(n, k)).astype(np.float32)
    z = logits / true_t
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(k, p=row) for row in p])
    return logits, labels


def test_recovers_the_generating_temperature():
    for true_t in (0.5, 2.0):
        logits, labels = _sample(true_t)
        assert abs(fit_temperature(logits, labels) - true_t) / true_t < 0.05


def test_fitted_temperature_minimises_nll():
    logits, labels = _sample(1.7, n=3000, seed=1)
    t = fit_temperature(logits, labels)
    best = nll(logits, labels, t)
    assert best <= nll(logits, labels, 1.0)
    for other in (t * 0.97, t * 1.03):
        assert best <= nll(logits, labels, other)


def test_nll_matches_hand_computation():
    logits = np.array([[np.log(3.0), 0.0], [0.0, 0.0]], dtype=np.float32)
    # p(label) = 0.75 and 0.5 -> mean(-log 0.75, -log 0.5)
    expected = (-np.log(0.75) - np.log(0.5)) / 2
    assert abs(nll(logits, np.array([0, 1]), 1.0) - expected) < 1e-7


def test_ragged_span_rows_are_padded_and_rows_without_gold_left_out():
    from xstore.runners.calibrate import fit_inputs

    logits, labels = fit_inputs([[2.0, 1.0, 0.5], [3.0], [1.0, 0.0]], [1, 0, -1])
    assert labels.tolist() == [1, 0]
    assert logits.shape == (2, 3) and np.isneginf(logits[1, 1:]).all()
    # the padded row has all its mass on its one candidate: p(label) = 1, so it adds nothing to the NLL
    z = np.array([2.0, 1.0, 0.5])
    expected = -(z[1] - np.log(np.exp(z).sum())) / 2
    assert abs(nll(logits, labels, 1.0) - expected) < 1e-6


def _brute_force_temperature(logits, labels):
    """The NLL minimum over a fine grid of log T in [log 1e-4, log 1e4], refined by a bounded scalar search."""
    from scipy.optimize import minimize_scalar

    grid = np.linspace(np.log(1e-4), np.log(1e4), 737)
    values = [nll(logits, labels, np.exp(x)) for x in grid]
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    found = minimize_scalar(lambda x: nll(logits, labels, np.exp(x)), bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-9})
    return float(np.exp(found.x))


def test_an_under_confident_model_gets_its_temperature_below_the_first_range():
    """Logits 50 times too small (a model that needs T = 0.02): the search leaves [0.05, 20] and finds it."""
    from xstore.runners.calibrate import LOG_T_RANGE, at_bound

    logits, labels = _sample(1.0, n=4000, seed=2)  # labels drawn from softmax(logits)
    logits = logits / 50  # stored 50 times too small: softmax(logits / 0.02) generated the labels
    t = fit_temperature(logits, labels)
    assert t < np.exp(LOG_T_RANGE[0]) and abs(t - 0.02) / 0.02 < 0.05
    assert abs(t - _brute_force_temperature(logits, labels)) / t < 1e-4
    assert not at_bound(t)


def test_a_dev_set_it_gets_all_right_is_flagged_at_the_limit():
    """Every label the arg-max: NLL falls for ever as T -> 0, so the fit stops at the limit and says so."""
    from xstore.runners.calibrate import LOG_T_LIMITS, at_bound

    logits, _ = _sample(1.0, n=500, seed=3)
    t = fit_temperature(logits, logits.argmax(axis=1))
    assert t == pytest.approx(np.exp(LOG_T_LIMITS[0]), rel=1e-3) and at_bound(t)
    assert not at_bound(1.0) and at_bound(9000.0)


def test_an_interior_fit_is_the_plain_search_of_the_first_range():
    """Widening never moves a minimum that lies inside [0.05, 20] away from its ends: same T as before."""
    from xstore.runners.calibrate import LOG_T_RANGE, _golden_section

    logits, labels = _sample(1.7, n=2000, seed=4)
    assert fit_temperature(logits, labels) == np.exp(_golden_section(logits, labels, *LOG_T_RANGE, 1e-6))
