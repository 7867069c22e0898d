"""Feed adapters: outside bytes -> small typed events with a UTC time and a source id.

Nothing here imports from ``twin/`` or the views (see ../ARCHITECTURE in shared/).
"""
