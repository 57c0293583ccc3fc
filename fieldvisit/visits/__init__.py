"""Visits: a team at a site (on site or by video), its check-in, outcome, findings and photos."""
