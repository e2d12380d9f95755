"""The ``nnfw`` command line: one module per group of commands, over the Python API."""
