"""Working without a connection: the service worker script and the outbox banner."""
