"""Benchmarks of deskops against baselines measured in the same run (`make bench`)."""
