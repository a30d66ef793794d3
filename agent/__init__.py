"""Threadline: agent."""
