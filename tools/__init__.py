"""Threadline: tools."""
