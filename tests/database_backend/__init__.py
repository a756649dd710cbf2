"""The test suite's PostgreSQL backend (see `base`)."""
