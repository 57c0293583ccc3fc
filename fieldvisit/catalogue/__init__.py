"""Catalogue: the versioned KLA indicators, predicates, site types and their checklists."""
