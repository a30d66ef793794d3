"""`python -m api.cli` is the `threadline` command."""

from api.cli import main

main()
