"""A synthetic Karang Dempel scenario for demos and first steps (`python -m app demo`)."""
