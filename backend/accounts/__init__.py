"""Accounts: users and roles, passwords, API and session tokens, sign-in throttling,
external sign-in, per-user rate limits, account administration and the audit log."""
