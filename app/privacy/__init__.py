"""Privacy by construction: the personal-data inventory and disclosure control."""
