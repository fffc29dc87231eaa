"""The demo data set (`make demo`, `python -m app demo`) and the README's diagrams."""
