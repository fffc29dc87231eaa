"""Reintegrasi: the system of record for closing a lokalisasi and helping its people start over."""
