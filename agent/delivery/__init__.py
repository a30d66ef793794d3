"""Sending the outbox: one adapter per provider behind one interface, and the worker that
delivers due rows with retries and backoff."""
