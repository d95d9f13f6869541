"""Complaints on a map: the cell counts, the clusters for a view, and the map pages."""
