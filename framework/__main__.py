"""``python -m nnfw`` runs the same command line as ``nnfw``."""

from nnfw.cli import main

main()
