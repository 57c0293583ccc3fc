"""Claims: what a district asserted in its self-assessment, per indicator and per site item."""
