"""Imports: site lists and a district's claims from CSV/XLSX (or the JSON API), previewed,
committed all-or-nothing, kept in a history per district and undoable."""
