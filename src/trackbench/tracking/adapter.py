"""The one door to boxmot: builds trackers (Python or C++) from our config, steps them,
snapshots them (Python only).

boxmot (and torch, which it imports: over a second) is imported on first use, not with this
module: the first tracker built or snapshot read, or :func:`preload` (a process that forks
camera workers calls it first, so that they inherit the imported tracker code).

boxmot's ``update()`` returns only tracks that are confirmed *and* matched in the current
frame; :mod:`trackbench.tracking.views` reads the rest of each kind's tracks. Nothing outside
this module imports boxmot.
"""

from __future__ import annotations

import copyreg
import functools
import io
import logging
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from trackbench.errors import TrackbenchError
from trackbench.tracking import views as v
from trackbench.tracking.builders import (
    FrameSize,
    _boosttrack_kwargs,
    _botsort_kwargs,
    _bytetrack_kwargs,
    _occluboost_kwargs,
    _ocsort_kwargs,
    _sfsort_kwargs,
    _sort_kwargs,
)
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.kinds import NATIVE_KINDS, SUPPORTED_KINDS
from trackbench.tracking.native_options import native_options
from trackbench.tracking.views import Box, TrackView

if TYPE_CHECKING:
    from boxmot.trackers.common.motion import MotionModelAdapter

__all__ = ["TrackView", "TrackerAdapter", "dumps_state", "loads_state", "postprocess_rows", "preload"]

# Importing boxmot's tracker modules attaches an INFO handler to the "boxmot" logger; keep it
# quiet unless our own logger asks for debug output.
_BOXMOT_LOGGER = logging.getLogger("boxmot")
_log = logging.getLogger(__name__)


def _silence_boxmot() -> None:
    _BOXMOT_LOGGER.setLevel(logging.DEBUG if _log.isEnabledFor(logging.DEBUG) else logging.WARNING)


def preload() -> None:
    """Import boxmot's trackers (and torch) now, as the first tracker built would: a process
    about to fork camera workers calls this, so that every worker inherits them imported once."""
    _kinds()
    _dispatch_table()


# --- SORT ----------------------------------------------------------------------------------


@functools.cache
def _sort_class() -> type:
    """:class:`Sort`, built on boxmot's OC-SORT on first use. Snapshots pickle it by the name
    ``trackbench.tracking.adapter.Sort`` (this module's ``__getattr__`` builds it)."""
    from boxmot.trackers.box.ocsort.track import KalmanBoxTracker
    from boxmot.trackers.box.ocsort.tracker import OcSort
    from boxmot.trackers.common.association.velocity import associate

    class Sort(OcSort):  # type: ignore[misc]  # boxmot is untyped
        """Classic SORT (Bewley et al. 2016) from boxmot's OC-SORT parts: the same Kalman box track
        (constant-velocity x, y, s, r filter with SORT's noise), IoU cost solved by linear
        assignment and gated at ``iou_threshold``. Unlike ``OcSort`` there is no velocity-direction
        term, no BYTE pass, no recovery against last observations (OCR) and no re-update along a
        virtual trajectory after a gap (ORU: unmatched tracks are simply not updated). Output boxes
        are the filter state, as in SORT."""

        active_tracks: list[Any]

        def _track_detections(self, dets: np.ndarray, img: Any, embs: Any = None, masks: Any = None) -> np.ndarray:
            self.frame_count += 1
            high, _ = self._make_detection_batch(dets, embs=embs, masks=masks).split_by_confidence(self.det_thresh)
            dets = high.as_box_conf_detections(dtype=dets.dtype)
            trks = np.zeros((len(self.active_tracks), 5))
            for row, trk in zip(trks, self.active_tracks, strict=True):
                row[:4] = trk.predict(dt=self._prediction_dt)[0][:4]
            keep = ~np.asarray(np.isnan(trks).any(axis=1))
            self.active_tracks = [t for t, k in zip(self.active_tracks, keep.tolist(), strict=True) if k]
            trks = trks[keep]
            # OC-SORT's association with a zero direction weight and no previous observations is
            # SORT's: IoU matrix, one-to-one shortcut, else linear assignment, then the IoU gate.
            n = len(trks)
            result = associate(dets, trks, self.asso_func, self.iou_threshold, np.zeros((n, 2)), -np.ones((n, 5)), 0.0)
            for trk_idx, det_idx in result.matches:
                self.active_tracks[trk_idx].update(dets[det_idx], high.clss[det_idx], high.det_inds[det_idx])
            for i in result.unmatched_dets:
                self.active_tracks.append(
                    KalmanBoxTracker(
                        dets[i],
                        high.clss[i],
                        high.det_inds[i],
                        delta_t=self.delta_t,
                        max_obs=self.max_obs,
                        id_allocator=self.id_allocator,
                        noise_config=self.kalman_noise_config,
                    )
                )
            rows = []
            for trk in self.active_tracks:
                if trk.time_since_update < 1 and (trk.hit_streak >= self.min_hits or self.frame_count <= self.min_hits):
                    rows.append(self.format_output_row(trk.get_state()[0], trk.id, trk.conf, trk.cls, trk.det_ind))
            self.active_tracks = [t for t in self.active_tracks if t.time_since_update <= self.max_age]
            out: np.ndarray = self.format_output_rows(rows, dtype=np.float32)
            return out

    Sort.__qualname__ = "Sort"  # pickled by reference, as a module-level class would be
    return Sort


if not TYPE_CHECKING:  # at run time only: the type checker still knows every name of this module

    def __getattr__(name: str) -> Any:
        if name == "Sort":
            return _sort_class()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    cls: type  # the Python tracker class
    kwargs: Callable[[TrackingConfig, FrameSize | None], dict[str, Any]]
    views: Callable[[Any, dict[int, Box]], list[TrackView]]
    compact: Callable[[Any], None] | None = None
    native: type | None = None  # boxmot's C++ build of the kind (backend="cpp")


@functools.cache
def _kinds() -> Mapping[str, _Kind]:
    """Every kind's boxmot classes and how we read them: boxmot's trackers (and torch) are
    imported here, once per process."""
    from boxmot.trackers.box.boosttrack.tracker import BoostTrack
    from boxmot.trackers.box.botsort.native import NativeBotSortTracker
    from boxmot.trackers.box.botsort.tracker import BotSort
    from boxmot.trackers.box.bytetrack.native import NativeByteTrackTracker
    from boxmot.trackers.box.bytetrack.tracker import ByteTrack
    from boxmot.trackers.box.occluboost.native import NativeOccluBoostTracker
    from boxmot.trackers.box.occluboost.tracker import OccluBoost
    from boxmot.trackers.box.ocsort.native import NativeOcSortTracker
    from boxmot.trackers.box.ocsort.tracker import OcSort
    from boxmot.trackers.box.sfsort.native import NativeSFSORTTracker
    from boxmot.trackers.box.sfsort.tracker import SFSORT

    kinds = {
        "ocsort": _Kind(OcSort, _ocsort_kwargs, v.ocsort_views, native=NativeOcSortTracker),
        "bytetrack": _Kind(ByteTrack, _bytetrack_kwargs, v.bytetrack_views, v.compact_removed, NativeByteTrackTracker),
        "sort": _Kind(_sort_class(), _sort_kwargs, v.sort_views),
        "botsort": _Kind(BotSort, _botsort_kwargs, v.bytetrack_views, native=NativeBotSortTracker),
        "sfsort": _Kind(SFSORT, _sfsort_kwargs, v.sfsort_views, native=NativeSFSORTTracker),
        "boosttrack": _Kind(BoostTrack, _boosttrack_kwargs, v.boosttrack_views),
        "occluboost": _Kind(OccluBoost, _occluboost_kwargs, v.boosttrack_views, native=NativeOccluBoostTracker),
    }
    assert tuple(kinds) == SUPPORTED_KINDS, "kinds.py and the adapter registry disagree"
    assert tuple(k for k, d in kinds.items() if d.native) == NATIVE_KINDS, "kinds.py and the native registry disagree"
    _silence_boxmot()  # importing boxmot's tracker modules attached its INFO handler
    return MappingProxyType(kinds)


@functools.cache
def _native_defaults(kind: str) -> Mapping[str, Any]:
    """boxmot's YAML defaults of a kind, read once per process (not once per camera tracker)."""
    from boxmot.trackers.config import load_tracker_defaults

    return MappingProxyType(load_tracker_defaults(kind))


def _build_native(kind: str, cfg: TrackingConfig, frame_size: FrameSize | None) -> Any:
    """boxmot's C++ tracker with the options the Python build of the same kind gets. The first
    use per machine compiles it (CMake; its output is silenced)."""
    from boxmot.native._common import set_build_status_fn

    k = _kinds()[kind]
    options = native_options(kind, k.cls, k.kwargs(cfg, frame_size), dict(_native_defaults(kind)))
    set_build_status_fn(lambda _message: None)  # thread-local in boxmot: set where we build
    assert k.native is not None, f"{kind} has no C++ build"  # validate_tracking refused it
    try:
        return k.native(options)
    except (RuntimeError, OSError) as exc:
        raise TrackbenchError(
            f"tracker.backend=cpp: boxmot's C++ {kind} is unavailable ({exc}); it needs cmake, libopencv-dev "
            "and libeigen3-dev (Debian), or use tracker.backend=python"
        ) from exc


def _direct_update(tracker: Any) -> Callable[..., Any] | None:
    """The C++ library call behind a native tracker's ``update()``, bound to its handle, where
    ``update()`` adds nothing else for this tracker: axis-aligned boxes, no embeddings to read
    or make, no image required. None otherwise (:meth:`TrackerAdapter.steps` then calls
    ``update()``)."""
    library, handle = getattr(tracker, "_library", None), getattr(tracker, "_handle", None)
    requirements = getattr(tracker, "requirements", None)
    if library is None or handle is None or requirements is None:
        return None
    if tracker.is_obb or tracker.generates_embeddings or requirements.embeddings or requirements.frame:
        return None
    tracker._mark_live_reid_updated()  # what the first update() would record
    return functools.partial(library.update, handle)


class TrackerAdapter:
    """A live boxmot tracker for one camera plus the knowledge of how to read its tracks.
    ``frame_size`` (width, height) is the camera's image size where known (SFSORT uses it).
    With ``backend="cpp"`` the tracker is boxmot's C++ build, which cannot be inspected: the
    only tracks seen are the ones ``update()`` reports (matched and confirmed)."""

    def __init__(self, cfg: TrackingConfig, frame_size: FrameSize | None = None) -> None:
        self.kind = cfg.tracker_kind
        self.native = cfg.backend == "cpp"
        if self.native:
            self._tracker = _build_native(self.kind, cfg, frame_size)
        else:
            kind = _kinds()[self.kind]
            self._tracker = kind.cls(**kind.kwargs(cfg, frame_size))
        self._direct = _direct_update(self._tracker) if self.native else None
        _silence_boxmot()

    def step(self, dets: np.ndarray) -> tuple[list[TrackView], dict[int, Box]]:
        """Feed one frame (``N x 6``: x1, y1, x2, y2, conf, cls). Returns every live track
        afterwards (C++: only the reported ones), and the rows ``update()`` returned (boxmot id
        -> x1, y1, x2, y2); a track boxmot reported in this frame is matched and confirmed and
        carries the box boxmot reported."""
        out = self._tracker.update(dets, None)
        reported = {int(row[4]): (row[0], row[1], row[2], row[3]) for row in out.tolist()}
        views = v.reported_views(reported) if self.native else _kinds()[self.kind].views(self._tracker, reported)
        return views, reported

    def steps(self, arrays: Sequence[np.ndarray]) -> Iterator[tuple[list[TrackView], dict[int, Box]]]:
        """:meth:`step` over consecutive frames, one result per frame, the same results.

        On the C++ backend (every kind trackbench builds: axis-aligned boxes, no appearance,
        no image) the frames' rows are checked and converted to the library's types once for
        all of them, by the parser ``update()`` applies to each frame (its rules hold row by
        row, so one call over the batch accepts and rejects exactly what the per-frame calls
        would). Each frame then goes to the same C++ library call ``update()`` makes, and its
        tracks are read as ``update()`` returns them, without re-checking the library's output
        row by row. boxmot's per-frame NumPy checks cost more than the C++ tracking itself."""
        if self._direct is None:
            for dets in arrays:
                yield self.step(dets)
            return
        from boxmot.trackers.common.input import parse_numpy_detection_rows

        rows = parse_numpy_detection_rows(np.concatenate(arrays) if arrays else np.empty((0, 6)), is_obb=False)
        geometry, scores, class_ids = rows.geometry, rows.scores, rows.class_ids
        start = 0
        for dets in arrays:
            end = start + len(dets)
            batch = self._direct(
                geometry=geometry[start:end],
                scores=scores[start:end],
                class_ids=class_ids[start:end],
                detection_indices=np.arange(end - start, dtype=np.int64),
                embeddings=None,
                image=None,
            )
            start = end
            reported: dict[int, Box] = {
                track_id: (box[0], box[1], box[2], box[3])
                for track_id, box in zip(batch.track_ids.tolist(), batch.geometry.tolist(), strict=True)
            }
            yield v.reported_views(reported), reported

    def compact(self) -> None:
        """Drop state that can no longer influence the output (called after every batch)."""
        compact = _kinds()[self.kind].compact
        if compact is not None and not self.native:
            compact(self._tracker)


# --- snapshots -----------------------------------------------------------------------------


def _rebuild_motion_model(kind: str, is_obb: bool, kwargs: dict[str, Any]) -> MotionModelAdapter:
    from boxmot.trackers.common.motion import create_motion_model

    return create_motion_model(kind, is_obb=is_obb, **kwargs)


def _reduce_motion_model(model: MotionModelAdapter) -> tuple[Any, ...]:
    # The adapter holds lambdas from create_motion_model and so does not pickle; it is fully
    # determined by create_motion_model's arguments, which the lambda captured.
    factory = model._filter_factory
    cells = factory.__closure__ or ()
    captured = dict(zip(factory.__code__.co_freevars, (c.cell_contents for c in cells), strict=True))
    kwargs = {k: captured[k] for k in ("max_obs", "adaptive_kf", "cls_id") if k in captured}
    return (_rebuild_motion_model, (model.kind.value, model.is_obb, kwargs))


def _rebuild_array(data: bytes, dtype: np.dtype, shape: tuple[int, ...], order: Literal["C", "F"]) -> np.ndarray:
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy(order=order)


def _reduce_array(array: np.ndarray) -> tuple[Any, ...]:
    # A tracker holds a few thousand small arrays (filter matrices, observation histories);
    # numpy's own reduce costs about twice this per array. Same values, dtype and memory order
    # (C, or F where the array is F-contiguous) as numpy's pickle; object arrays keep numpy's.
    if array.dtype.hasobject:
        reduced = array.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        assert isinstance(reduced, tuple)
        return reduced
    order: Literal["C", "F"] = "F" if array.flags.f_contiguous and not array.flags.c_contiguous else "C"
    return (_rebuild_array, (array.tobytes(order), array.dtype, array.shape, order))


@functools.cache
def _dispatch_table() -> dict[type, Callable[[Any], str | tuple[Any, ...]]]:
    """The snapshot pickler's reducers: copyreg's, boxmot's motion model and NumPy arrays (one
    dict per process, read on every object pickled; never changed)."""
    from boxmot.trackers.common.motion import MotionModelAdapter

    table: dict[type, Callable[[Any], str | tuple[Any, ...]]] = dict(copyreg.dispatch_table)
    table[MotionModelAdapter] = _reduce_motion_model
    table[np.ndarray] = _reduce_array
    return table


def dumps_state(state: Any) -> bytes:
    """Serialize live tracker state into a self-contained snapshot."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(state)
    return buffer.getvalue()


def loads_state(blob: bytes) -> Any:
    """Rebuild live tracker state from a snapshot made by :func:`dumps_state`."""
    state = pickle.loads(blob)
    _silence_boxmot()
    return state


# --- post-processing (offline: boxmot.postprocessing) --------------------------------------


def postprocess_rows(rows: np.ndarray, method: str, interval: int, **smoothing: Any) -> np.ndarray:
    """boxmot's post-processing ``method`` (linear, gsi, gbrc) of MOT result rows (frame, id,
    x, y, w, h, conf, ...; float), called on arrays: its file workers round boxes to whole
    pixels. ``smoothing``: GSI's ``tau``, or GBRC's ``n_estimators``, ``learning_rate``,
    ``min_samples_split``. Imported on first use: scikit-learn loads only for runs that need it."""
    if method == "gbrc":
        from boxmot.postprocessing import gbrc

        smoothed: np.ndarray = gbrc.gradient_boosting_smooth(gbrc.linear_interpolation(rows, interval), **smoothing)
        return smoothed
    from boxmot.postprocessing import gsi

    filled: np.ndarray = gsi.linear_interpolation(rows, interval)
    if method == "gsi":
        smoothed = gsi.gaussian_smooth(filled, **smoothing)
        return smoothed
    if method == "linear":
        return filled
    raise TrackbenchError(f"postprocess.method={method!r} is not a boxmot post-processing method")
