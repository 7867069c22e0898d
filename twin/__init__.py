"""The model of the port: pure Python / NumPy / shapely / geopandas. No Dash, no Flask."""
