"""Reconciliation: the district's claims against the verifiers' findings, as gaps and an
estimated verified score. ``domain.py`` holds the pure rules (KLA.md, "Reconciliation")."""
