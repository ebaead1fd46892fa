"""The ``minigrad`` command line: parsing and printing on top of the library."""
