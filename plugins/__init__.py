"""Built-in cell plugins, installed as ``minigrad.plugins``."""
