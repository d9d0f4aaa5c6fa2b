"""Real services the integration tests run against (started by tests/integration/conftest.py)."""
