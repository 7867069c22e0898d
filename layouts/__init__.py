"""Dash layouts as data: one module per page plus shared pieces. Ids live in ``ids.py``."""
