"""Temperature scaling finds the temperature that generated the labels, and never raises the NLL."""

import numpy as np

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
