"""The demo's tests: one day they are built for, and the demo built for it."""

from __future__ import annotations

from datetime import date

import pytest

from app.demo import DemoData, build_demo_data

# A Monday in the 2026-27 school year: the calendar assertions are exact for it.
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def built() -> DemoData:
    return build_demo_data(TODAY)
