"""Rounds: an evaluation round (e.g. KLA 2025), its district evaluations, assignments, tolerances."""
