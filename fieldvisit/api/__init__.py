"""The JSON API under /api/v1 for the ministry's KLA application, and its per-client tokens."""
