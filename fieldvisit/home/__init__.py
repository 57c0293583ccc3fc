"""Home: each role's start page, listing what waits for the user."""
