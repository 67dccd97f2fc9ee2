"""A command's process exits without a final sweep of the garbage collector (issue 15: start-up).

At exit Python clears every module and runs full garbage collections over everything still alive;
with Django, django-ninja's pydantic models and the apps loaded (~100,000 objects) that costs about
0.3 s of a 1 s command, spent after the command's work is done. Freezing the collector at exit
moves those objects out of its reach: modules are still torn down by reference counting, only the
cycle search is skipped. As ever in Python, objects alive at exit may not have ``__del__`` run.
"""

from __future__ import annotations

import atexit
import gc

_registered = False


def skip_final_collection() -> None:
    """Freeze the garbage collector when the process exits (once per process)."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
