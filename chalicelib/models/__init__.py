"""Pydantic models, one module per API tag, shared by every layer."""
