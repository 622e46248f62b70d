"""``python -m naslab`` runs the CLI."""

from naslab.cli import main

main()
