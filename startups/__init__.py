"""Startups: startup organisations, their members, and their selection in a program edition."""
