"""The ``nnfw`` command line: one module per group of commands, over the Python API."""

from nnfw.cli.app import cli, main

__all__ = ["cli", "main"]
