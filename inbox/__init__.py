"""Threadline: inbox."""
