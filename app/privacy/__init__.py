"""Privacy by construction: the data inventory, purposes, disclosure control and what derives from them."""
