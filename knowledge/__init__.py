"""Threadline: knowledge."""
