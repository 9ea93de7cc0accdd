"""``python -m trackbench.stale``: the stale-run sweep (:mod:`trackbench.record.stale`) by the
name it has always had; ``trackbench-gc`` runs the same :func:`main`."""

import sys

from trackbench.record.stale import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
