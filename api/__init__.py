"""Threadline: api."""
