"""Outbound HTTP clients: small, fake-able, standard library only (no SDK at import time)."""
