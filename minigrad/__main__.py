"""``python -m minigrad``: the same as the ``minigrad`` command."""

import sys

from minigrad.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
