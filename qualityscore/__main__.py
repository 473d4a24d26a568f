"""`python -m qualityscore ...` is the same as the `qualityscore` command."""

from .cli import main

main()
