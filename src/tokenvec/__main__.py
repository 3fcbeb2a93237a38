"""``python -m tokenvec`` runs the command line."""

from tokenvec.cli import main

main()
