"""Open311 GeoReport v2 under /open311/: discovery, services, reading and filing requests."""
