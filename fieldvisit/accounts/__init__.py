"""Accounts: users, roles, login sessions, login throttling."""
