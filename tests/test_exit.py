"""The commands' exit: the interpreter's last garbage collections are skipped (gc.freeze as an
atexit handler), after every handler registered once the command started."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import atexit, gc
atexit.register(lambda: print("earlier handler: frozen" if gc.get_freeze_count() else "earlier handler: not frozen"))
from trackbench.cli.main import skip_final_collection
skip_final_collection()
atexit.register(lambda: print("later handler: frozen" if gc.get_freeze_count() else "later handler: not frozen"))
garbage = [[] for _ in range(1000)]
for a, b in zip(garbage, garbage[1:]):
    a.append(b), b.append(a)
"""


def test_gc_frozen_after_the_handlers_registered_later():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["later handler: not frozen", "earlier handler: frozen"], proc.stdout
