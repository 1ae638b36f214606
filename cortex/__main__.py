"""Command line: ``python -m cortex ...`` (the code lives in :mod:`cortex.cli`)."""

from cortex.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
