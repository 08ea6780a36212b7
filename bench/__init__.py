"""Benchmarks (not tests): measured numbers for issue notes, run with `make bench`."""
