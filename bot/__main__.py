"""`python -m bot` runs the same CLI as the `align` console script."""

from bot.cli import main

raise SystemExit(main())
