"""The JSON API for the mobile app under /api/v1 (web.paths): bearer-token login, a citizen's
complaints through the same services as the website, its OpenAPI schema and docs page."""
