"""Tamper-evidence seals over history and access-log rows."""
