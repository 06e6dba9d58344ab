"""Benchmarks (not tests): `make bench`. They print figures; nothing here asserts on timings."""
