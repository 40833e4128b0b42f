"""Audit trail: one event per state change."""
