"""Malformed MOTChallenge folders, generated: what a new user's files look like when they go wrong.

A :class:`Mutation` names one file of a small valid folder (2 cameras) and one way to break it:
a row's field replaced, a row's columns dropped or added, the file truncated at a byte, its text
re-encoded, a seqinfo key changed. Used by the in-process validation fuzz and the CLI fuzz.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from trackbench.datasets.export import export_mot
from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset

FILES = ("cam0/det/det.txt", "cam1/gt/gt.txt", "cam1/det/det.txt", "cam0/gt/gt.txt", "cam1/seqinfo.ini")
VALUES = (
    "nan", "inf", "-inf", "abc", "", " ", "1.5", "-1", "0", "-0.0", "1e300", "1e-320", "999999999999",
    "0x10", "1,2", "\"3\"", "１", "None", "2147483648", "-2147483649", "61", "3.0",
)  # fmt: skip
SEQINFO_KEYS = ("seqLength", "imWidth", "imHeight", "frameRate")
ENCODINGS = ("utf-16", "latin-1", "utf-8-sig", "cp1252")


@dataclass(frozen=True)
class Mutation:
    file: str
    how: str  # field | drop | add | truncate | encode | blank | duplicate | seqinfo | delete | nul
    row: int = 0
    column: int = 0
    value: str = ""
    cut: float = 0.5
    encoding: str = "utf-16"

    def apply(self, root: Path) -> None:
        path = root / self.file
        if self.how == "delete":
            path.unlink()
            return
        text = path.read_text(encoding="utf-8")
        if self.file.endswith("seqinfo.ini"):
            key = SEQINFO_KEYS[self.column % len(SEQINFO_KEYS)]
            lines = [f"{key}={self.value}" if line.startswith(f"{key}=") else line for line in text.splitlines()]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return
        lines = text.splitlines()
        row = self.row % max(len(lines), 1)
        if self.how == "field" and lines:
            fields = lines[row].split(",")
            fields[self.column % len(fields)] = self.value
            lines[row] = ",".join(fields)
        elif self.how == "drop" and lines:
            lines[row] = ",".join(lines[row].split(",")[: self.column % 10])
        elif self.how == "add" and lines:
            lines[row] = lines[row] + ("," + self.value) * (1 + self.column % 3)
        elif self.how == "duplicate" and lines:
            lines.insert(row, lines[row])
        elif self.how == "blank":
            lines = [] if self.column % 2 else ["", "   ", ""]
        if self.how == "truncate":
            data = text.encode("utf-8")
            path.write_bytes(data[: int(len(data) * self.cut)])
        elif self.how == "encode":
            path.write_bytes("\n".join(lines).encode(self.encoding, errors="replace"))
        elif self.how == "nul":
            data = bytearray("\n".join(lines).encode("utf-8"))
            data[int(len(data) * self.cut) % max(len(data), 1)] = 0
            path.write_bytes(bytes(data))
        else:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def mutations() -> st.SearchStrategy[Mutation]:
    return st.builds(
        Mutation,
        file=st.sampled_from(FILES),
        how=st.sampled_from(("field", "field", "field", "drop", "add", "truncate", "encode", "blank", "duplicate",
                             "delete", "nul")),
        row=st.integers(0, 400),
        column=st.integers(0, 12),
        value=st.sampled_from(VALUES),
        cut=st.floats(0.0, 1.0),
        encoding=st.sampled_from(ENCODINGS),
    )  # fmt: skip


def valid_folder(root: Path, n_frames: int = 60) -> Path:
    """A small valid MOTChallenge folder (2 cameras of the synthetic tank), made once per path."""
    if not root.exists():
        export_mot(SyntheticDataset(SyntheticConfig(n_cameras=2, n_frames=n_frames, seed=3)), root)
    return root


def broken_copy(valid: Path, target: Path, mutation: Mutation) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(valid, target)
    mutation.apply(target)
    return target
