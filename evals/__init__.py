"""Threadline: evals."""
