"""The fuzz runs start real servers: the ops helpers' real time and their server logs
on failure apply here too."""

from tests.ops.conftest import pytest_runtest_makereport, real_time

__all__ = ["pytest_runtest_makereport", "real_time"]
