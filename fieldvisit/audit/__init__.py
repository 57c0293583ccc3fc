"""Audit: the append-only log of who did what, when, to which object."""
