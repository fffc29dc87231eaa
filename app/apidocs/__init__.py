"""Offline API documentation: Swagger UI and ReDoc from the installed package, no CDN."""
