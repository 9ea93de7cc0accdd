"""Each tracker kind's boxmot keyword arguments from our config: every option that changes
behaviour is spelled here, none is left to boxmot's defaults. Plain dicts; the adapter
(:mod:`trackbench.tracking.adapter`, boxmot's one door) hands them to the tracker classes.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from trackbench.tracking.config import TrackingConfig

# Switches no kind below may take from boxmot's defaults: no appearance model (its weights
# would be downloaded), no camera-motion compensation (it needs the images).
_OFFLINE = {"use_embeddings": False, "use_cmc": False}


FrameSize = tuple[int, int]  # (width, height) in pixels


def _ocsort_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    o = cfg.ocsort
    return dict(
        det_thresh=cfg.det_thresh,
        max_age=cfg.max_coast_frames,
        min_hits=cfg.n_init,
        iou_threshold=cfg.iou_threshold,
        min_conf=o.min_conf,
        delta_t=o.delta_t,
        inertia=o.inertia,
        use_byte=o.use_byte,
        asso_func=o.asso_func,
        max_obs=o.max_obs,
        per_class=False,
    )


def _sort_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    return dict(
        det_thresh=cfg.det_thresh,
        max_age=cfg.max_coast_frames,
        min_hits=cfg.n_init,
        iou_threshold=cfg.iou_threshold,
        asso_func="iou",
        min_conf=cfg.det_thresh,  # no second pass
        delta_t=3,  # only feeds OC-SORT's direction estimate, which SORT does not use
        inertia=0.0,
        use_byte=False,
        max_obs=cfg.max_coast_frames + 5,  # history SORT never reads; boxmot's floor is max_age + 5
        per_class=False,
    )


def _bytetrack_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    # A lost ByteTrack track stays matchable for track_buffer frames and, through a quirk of
    # its list bookkeeping, one more: track_buffer = max_coast_frames - 1 coasts exactly
    # max_coast_frames frames. ByteTrack matches on a score-fused distance: 1 - iou_threshold.
    return dict(
        track_thresh=cfg.det_thresh,
        match_thresh=1.0 - cfg.iou_threshold,
        track_buffer=cfg.max_coast_frames - 1,
        frame_rate=30,  # boxmot scales track_buffer by frame_rate / 30; keep the scale at 1
        min_conf=cfg.bytetrack.min_conf,
        min_hits=cfg.n_init,
        iou_threshold=cfg.iou_threshold,
        per_class=False,
    )


def _botsort_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    o = cfg.botsort
    # Lost-track bookkeeping as ByteTrack's (one extra frame), hence track_buffer - 1. The
    # appearance thresholds (proximity, appearance, emb scale) act only with embeddings.
    return dict(
        track_high_thresh=cfg.det_thresh,
        track_low_thresh=o.min_conf,
        new_track_thresh=o.new_track_thresh,
        track_buffer=cfg.max_coast_frames - 1,
        frame_rate=30,
        match_thresh=1.0 - cfg.iou_threshold,
        second_match_thresh=o.second_match_thresh,
        unconfirmed_match_thresh=o.unconfirmed_match_thresh,
        fuse_first_associate=o.fuse_first_associate,
        removed_stracks_buffer=100,  # bookkeeping of removed ids; boxmot's default, kept explicit
        min_hits=cfg.n_init,  # ignored by BoT-SORT (see docs/tracklets.md)
        iou_threshold=cfg.iou_threshold,
        asso_func=o.asso_func,
        per_class=False,
        **_OFFLINE,
    )


def _sfsort_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    o = cfg.sfsort
    width, height = frame_size if frame_size is not None else (o.frame_width, o.frame_height)
    marginal = o.marginal_coast_frames if o.marginal_coast_frames is not None else cfg.max_coast_frames
    # A lost SFSORT track is purged once frame - last_frame > timeout: it coasts `timeout`
    # frames (timeout 0 would still coast one, hence max_coast_frames >= 1).
    return dict(
        high_th=cfg.det_thresh,
        low_th=o.min_conf,
        new_track_th=o.new_track_thresh,
        match_th_first=o.match_th_first,
        match_th_second=1.0 - cfg.iou_threshold,  # the low-score pass is on IoU alone
        dynamic_tuning=False,  # thresholds stay as configured (the *_m coefficients are unused)
        central_timeout=cfg.max_coast_frames,
        marginal_timeout=marginal,
        horizontal_margin=o.horizontal_margin,
        vertical_margin=o.vertical_margin,
        frame_width=int(width),
        frame_height=int(height),
        asso_func=o.asso_func,
        per_class=False,
    )


def _named_options(options: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    # Option blocks whose field names are boxmot's keyword names; boxmot raises TypeError on an
    # unknown keyword, so a renamed option cannot be dropped silently.
    return {f.name: getattr(options, f.name) for f in fields(options) if f.name not in skip}


def _boost_common(cfg: TrackingConfig) -> dict[str, Any]:
    return {
        "det_thresh": cfg.det_thresh,
        "max_age": cfg.max_coast_frames,
        "min_hits": cfg.n_init,
        "iou_threshold": cfg.iou_threshold,
        "max_obs": 50,  # display history only (boxmot raises it to max_age + 5 where lower)
        "per_class": False,
        **_OFFLINE,
    }


def _boosttrack_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    return {**_boost_common(cfg), **_named_options(cfg.boosttrack)}


def _occluboost_kwargs(cfg: TrackingConfig, frame_size: FrameSize | None) -> dict[str, Any]:
    o = cfg.occluboost
    # Without embeddings the ReID recovery pass and GTA are off (recovery_*, feat_alpha,
    # second_appearance_thresh, gta_* and lambda_emb_multiplier have no effect); obb_* apply
    # only to oriented boxes.
    return dict(
        track_low_thresh=o.min_conf,
        gta_enabled=False,
        **_boost_common(cfg),
        **_named_options(o, skip=("min_conf",)),
    )
