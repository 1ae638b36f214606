"""Command line: ``python -m cortex ...`` (the code lives in :mod:`cortex.cli`)."""

import sys

try:
    from cortex.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: no traceback either
    sys.stderr.write("cortex: interrupted; nothing was written\n")
    raise SystemExit(130) from None

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
