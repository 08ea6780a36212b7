"""Entry point of `python -m devtenant`."""

from __future__ import annotations

import sys

from devtenant.cli import main

if __name__ == "__main__":
    sys.exit(main())
