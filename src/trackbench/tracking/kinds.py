"""Names of the tracker kinds (kept free of boxmot so validation stays cheap)."""

# Motion-only kinds: run offline, no appearance model, no camera-motion compensation.
SUPPORTED_KINDS: tuple[str, ...] = ("ocsort", "bytetrack", "sort", "botsort", "sfsort", "boosttrack", "occluboost")

# boxmot kinds built around appearance (ReID) embeddings: their weights are downloaded on first
# use, which an offline benchmark must not do. Refused with an explanation, never attempted.
APPEARANCE_KINDS: tuple[str, ...] = ("deepocsort", "strongsort", "hybridsort")

# Association geometries usable without an image (boxmot's ``centroid`` reads the frame size).
ASSO_FUNCS: tuple[str, ...] = ("iou", "giou", "diou", "ciou", "hmiou")

# Backends: boxmot's Python trackers, or its C++ builds (CMake, OpenCV, Eigen; built on first use).
BACKENDS: tuple[str, ...] = ("python", "cpp")

# Kinds boxmot 25 ships a C++ build of (``backend="cpp"``); see docs/tracklets.md "Native backend".
NATIVE_KINDS: tuple[str, ...] = ("ocsort", "bytetrack", "botsort", "sfsort", "occluboost")

# Not a tracker: existing MOTChallenge result files scored as they are (trackbench.experiment.precomputed).
PRECOMPUTED = "precomputed"
