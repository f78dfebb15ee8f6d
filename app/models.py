"""Every table, imported in one place for Alembic and the tests."""

from app.core.db import Base
from app.keys.models import ApiKey
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space

__all__ = ["ApiKey", "Base", "CalendarException", "Party", "Site", "Space"]
