"""Privacy by construction: the personal-data inventory and the flows and views derived from it."""
