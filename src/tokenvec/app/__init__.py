"""The user-facing shells: the command line, the web playground, the demo and the plots."""
