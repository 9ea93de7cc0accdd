"""Suite-wide settings."""

from hypothesis import HealthCheck, settings

# Property tests check behaviour, not speed: on a loaded CI machine example generation and
# tracking can exceed Hypothesis' default time budgets without anything being wrong.
settings.register_profile("trackbench", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("trackbench")
