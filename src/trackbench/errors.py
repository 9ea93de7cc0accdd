"""The one error type users see: its message names the file, line or key to fix."""


class TrackbenchError(Exception):
    """A problem with the user's input or configuration, reported as one line by the CLI."""


def config_error_line(exc: BaseException) -> str | None:
    """One line for omegaconf's and Hydra's config errors (a missing or mistyped key), naming
    the key where the error knows it; None for any other exception."""
    if not type(exc).__module__.startswith(("omegaconf", "hydra")):
        return None
    key = getattr(exc, "full_key", None)
    message = (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"{key}: {message}" if key else message
