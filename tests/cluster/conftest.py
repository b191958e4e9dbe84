"""The server versions of the real-servers test, shown in the terminal summary of every run (CI's log)."""

import pytest

SERVER_VERSIONS = pytest.StashKey[dict[str, str]]()


def pytest_terminal_summary(terminalreporter, config):
    versions = config.stash.get(SERVER_VERSIONS, None)
    if versions:
        terminalreporter.write_sep("-", "cluster profile: real servers on loopback")
        for name, version in versions.items():
            terminalreporter.write_line(f"{name}: {version}")
