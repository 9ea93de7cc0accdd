"""A run's output folder: what each file holds, written atomically, and how to read it back.

- ``run_files``: tracklets, MOTChallenge files, metrics.json, staging and publishing of the folder;
- ``events``: the per-frame error events (``errors/<camera_id>.csv``);
- ``identity``: which hypothesis holds each animal, frame by frame (``identity/<camera_id>.csv``).

The formats read no other part of trackbench beyond ``types``, ``datasets`` and ``tracking``'s
hypothesis rows, so scoring, the plots and the run-vs-run diff all read them.
"""

from trackbench.artifacts.run_files import (
    CAMERA_FOLDERS,
    STAGING,
    Span,
    atomic_write_text,
    publish,
    read_tracklets,
    timeline_spans,
    tracklet_from_json,
    tracklet_to_json,
    write_camera_files,
    write_events,
    write_identity,
    write_json,
    write_mot_results,
    write_mot_table,
    write_tracklets,
)

__all__ = [
    "CAMERA_FOLDERS",
    "STAGING",
    "Span",
    "atomic_write_text",
    "publish",
    "read_tracklets",
    "timeline_spans",
    "tracklet_from_json",
    "tracklet_to_json",
    "write_camera_files",
    "write_events",
    "write_identity",
    "write_json",
    "write_mot_results",
    "write_mot_table",
    "write_tracklets",
]
