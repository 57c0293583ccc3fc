"""Gaps: differences between claims and findings, their evidence, the district's response."""
