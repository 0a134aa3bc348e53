"""HTTP adapters: one Blueprint per API tag. Only this package and ``handlers`` know Chalice."""
