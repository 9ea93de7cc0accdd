"""Suite-wide settings."""

from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed: on a loaded CI machine example generation and
# tracking can exceed Hypothesis' default time budgets without anything being wrong.
settings.register_profile("trackbench", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("trackbench")


def pytest_report_header() -> str:
    """Where the real-data parity tests read ../shared/data from, or that they will skip."""
    from tests.shared_data import header

    return header()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Repeat, at the end, how many tests skipped because the shared real data was missing."""
    from tests.shared_data import SKIP_PREFIX, header

    skipped = terminalreporter.stats.get("skipped", [])
    missing = [r for r in skipped if SKIP_PREFIX in str(getattr(r, "longrepr", ""))]
    if missing:
        terminalreporter.write_line(f"{len(missing)} tests SKIPPED, data missing. {header()}", yellow=True, bold=True)
