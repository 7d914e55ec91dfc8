"""Run a command-line entry point in-process, as its process would run it.

Returns what a finished process gives (returncode, stdout, stderr) without the
cost of a new interpreter; a traceback fails the test as an exception.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from types import SimpleNamespace


def run(main: Callable[[list[str]], int], *args) -> SimpleNamespace:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
