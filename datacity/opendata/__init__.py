"""Open data: the read-only JSON API with its OpenAPI description, and the files (CSV, JSON) of the open data page."""
