"""The one error type users see: its message names the file, line or key to fix."""


class TrackbenchError(Exception):
    """A problem with the user's input or configuration, reported as one line by the CLI."""
