"""Accounts: the platform's user model (email is the login) and authentication rules."""
