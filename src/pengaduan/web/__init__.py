"""The web shell: templates, languages, errors, static files and health."""
