"""Names of the supported tracker kinds (kept free of boxmot so validation stays cheap)."""

SUPPORTED_KINDS: tuple[str, ...] = ("ocsort", "bytetrack")
