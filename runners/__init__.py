"""Runners compute cells: load, train, predict, perturb, calibrate. Heavy imports live here only."""
