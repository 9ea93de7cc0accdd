"""Write the synthetic fish tank as a MOTChallenge folder, for inspection or other tools.

    python scripts/export_synthetic.py out/fishtank                  # the default dataset
    python scripts/export_synthetic.py out/fishtank n_cameras=2 seed=7 n_frames=1000

Then: trackbench dataset=mot dataset.root=out/fishtank 'dataset.files.target_classes=null'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trackbench.config.settings import from_mapping
from trackbench.datasets.export import export_mot
from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset
from trackbench.errors import TrackbenchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="output folder (one sub-folder per camera)")
    parser.add_argument("overrides", nargs="*", help="SyntheticConfig fields as key=value")
    args = parser.parse_args(argv)
    try:
        values = {}
        for item in args.overrides:
            key, _, raw = item.partition("=")
            values[key] = float(raw) if "." in raw else int(raw)
        config = from_mapping(SyntheticConfig, values, "synthetic")
        folders = export_mot(SyntheticDataset(config), args.root)
    except (TrackbenchError, ValueError) as exc:
        print(f"export_synthetic: error: {exc}", file=sys.stderr)
        return 2
    for folder in folders:
        print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
