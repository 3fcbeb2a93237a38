"""``python -m tokenvec`` runs the command line."""

from tokenvec.app.cli import main

main()
