"""Benchmarks: latency of the resolution API on a store (default: the demo store)."""
