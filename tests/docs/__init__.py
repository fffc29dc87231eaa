"""Offline API documentation: /docs and /redoc render in a browser with the network closed."""
