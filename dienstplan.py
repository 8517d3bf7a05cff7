"""Entry point: `python dienstplan.py <command>` does what the `dienstplan` script does."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
