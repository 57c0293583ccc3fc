"""Hybrid verification sessions: attendance, live shared notes, notes that become findings."""
