"""Fixtures for the raw-event generator and lzop tests."""
