"""Bundled sample data for `make run` and the tests."""
