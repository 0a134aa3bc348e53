"""Domain rules. They take models and return models; only ``db`` knows SQL."""
