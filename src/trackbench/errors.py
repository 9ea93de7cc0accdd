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


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's pre-emption, systemd, Ray, ``kill``): handled as Ctrl-C is, so the
    run ends KILLED with this reason, the workers stop and the job exits 128 + 15."""

    signum = 15

    def __str__(self) -> str:
        return "terminated (SIGTERM)"


class WorkerKilled(TrackbenchError):
    """A camera worker process died by a signal while its job ran (the job's run ends KILLED)."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


def interruption(exc: BaseException) -> str:
    """Why a KILLED run stopped, for its ``error`` tag and the job's one line."""
    if isinstance(exc, Terminated | WorkerKilled):
        return str(exc)
    return "interrupted (Ctrl-C: KeyboardInterrupt)"


def exit_code(exc: BaseException) -> int:
    """The job's exit status for an interruption: 128 + the signal, as shells report it."""
    return 128 + int(getattr(exc, "signum", 2))
