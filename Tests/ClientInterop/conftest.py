import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pairtest import Pair  # noqa: E402
from weirtest import WEIR_BIN, Broker  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "restart: stops and starts a broker of its own")


@pytest.fixture(scope="session")
def broker():
    """One `weir serve` for the whole session (fresh data directory, free ports)."""
    if not os.access(WEIR_BIN, os.X_OK):
        pytest.fail(f"weir binary not found at {WEIR_BIN} (build it, or set WEIR_BIN)")
    b = Broker()
    b.start()
    yield b
    b.cleanup()


@pytest.fixture
def own_broker():
    """A broker of the test's own, for tests that restart it."""
    b = Broker()
    b.start()
    yield b
    b.cleanup()


@pytest.fixture
def pair():
    """A two-node pair of the test's own (node 1 primary, node 2 replica), started and synchronous."""
    p = Pair()
    try:
        p.start()
    except BaseException:
        print(p.logs_tail())
        p.cleanup()
        raise
    yield p
    p.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, show the end of the broker's log: most interop failures are explained there."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("broker", "own_broker"):
            b = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if b is not None:
                report.sections.append((f"{name} log ({b.log_path})", b.log_tail(60)))
