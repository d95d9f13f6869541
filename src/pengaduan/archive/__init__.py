"""The public archive of complaints and the similar-complaint hints while a title is typed."""
