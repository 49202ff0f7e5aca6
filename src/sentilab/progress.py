"""When to draw a progress bar: only for a person watching a terminal.

A bar redraws itself with carriage returns; in a log file or a CI transcript that is a wall of ``\\r``. So every
bar in sentilab asks :func:`show_progress`: drawn when it was wanted *and* stderr is a terminal. Where there
is no bar, long work still says what it does in plain lines (one per epoch, per file fetched, per step).
"""

from __future__ import annotations

import sys


def show_progress(wanted: bool | None = True) -> bool:
    """True when a bar was wanted (None counts as yes) and stderr is a terminal."""
    if wanted is False:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False
