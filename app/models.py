"""Every table, imported in one place for Alembic and the tests."""

from app.agreements.models import Agreement, DirectPartner
from app.bookings.models import Booking, BookingEvent, BookingSeries, CatalogVersion
from app.calendars.models import CalendarFeed
from app.core.db import Base
from app.costs.models import CostItem, CustodialCharge, PendingSiteDate
from app.idempotency.models import IdempotencyRecord
from app.keys.models import ApiKey
from app.parties.models import Party
from app.ratelimits.models import RateLimitWindow
from app.sites.models import CalendarException, Site, Space
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "Agreement",
    "ApiKey",
    "Base",
    "Booking",
    "BookingEvent",
    "BookingSeries",
    "CalendarException",
    "CalendarFeed",
    "CatalogVersion",
    "CostItem",
    "CustodialCharge",
    "DirectPartner",
    "IdempotencyRecord",
    "Party",
    "PendingSiteDate",
    "RateLimitWindow",
    "Site",
    "Space",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
