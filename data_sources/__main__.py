"""Command line: ``python -m data_sources check PATH [--kind KIND] [--json]``."""

import sys

from .check import run_check

COMMANDS = {"check": run_check}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write("usage: python -m data_sources {check} ...\n"
                         "  check PATH [--kind KIND] [--json]   check a data file\n")
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
