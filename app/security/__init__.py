"""Tokens, password hashing, encryption of identity numbers, and the access policy."""
