"""Indicator verification: a verifier's verified value for an indicator claim (append-only
versions in ``claims.tables.IndicatorVerification``), which gives the verification factor."""
