"""Settings package: `base` holds what every environment shares; `dev`, `test` and `production` adjust it."""
