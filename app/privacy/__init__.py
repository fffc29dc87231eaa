"""Privacy by construction: the personal-data inventory, purposes of reading, and what derives from them."""
