"""Entry point for ``python -m ijbrief``."""

from ijbrief.cli import main

raise SystemExit(main())
