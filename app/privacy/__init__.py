"""Privacy by construction: what personal data is kept, why it is read, and who may see it."""
