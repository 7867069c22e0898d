"""Dash callbacks, one module per page. Each callback reads a twin snapshot and shapes it."""
