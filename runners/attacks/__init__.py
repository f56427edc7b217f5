"""Adversarial attacks: one builder per method, shaped like a TextAttack recipe, each file named after its paper.

`textattack_offline` must be imported before textattack itself; the builders do so.
"""
