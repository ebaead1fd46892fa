"""The conformance checks, one module per family; ``run.py`` says which apply to a cell."""
