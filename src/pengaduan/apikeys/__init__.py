"""API keys for machine clients: issued by admins, stored hashed, scoped, rate limited."""
