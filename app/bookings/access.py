"""Who sees a booking, whom it is made for, and who may approve, cancel or change
it: pure functions over the caller (`Principal`) and the booking's values."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.auth import Principal, Role, acts_for, require_party_manager
from app.core.errors import Forbidden, ValidationFailed


@dataclass(frozen=True, slots=True)
class BookingScope:
    """Which bookings a key sees: those of `party_id`, plus (managers) those at the
    sites `party_id` owns. `None` from `booking_scope` means all (admin)."""

    party_id: int
    with_owned_sites: bool


def booking_scope(principal: Principal) -> BookingScope | None:
    if principal.is_admin:
        return None
    if principal.party_id is None:
        raise Forbidden("this key acts for no party")
    return BookingScope(principal.party_id, principal.role is Role.manager)


def can_see_booking(principal: Principal, *, party_id: int, site_owner_id: int) -> bool:
    scope = booking_scope(principal)
    return (
        scope is None
        or party_id == scope.party_id
        or (scope.with_owned_sites and site_owner_id == scope.party_id)
    )


def booking_party(principal: Principal, requested_party_id: int | None) -> int:
    """The party a booking is made for: the key's own, unless an admin names another."""
    if requested_party_id is None:
        if principal.party_id is None:
            raise ValidationFailed(["body", "party_id"], "this key acts for no party: name one")
        return principal.party_id
    if requested_party_id != principal.party_id and not principal.is_admin:
        raise Forbidden("only an admin may book for another party")
    return requested_party_id


def require_site_manager(principal: Principal, site_owner_id: int) -> None:
    """Approve and decline: the owner's manager (or admin)."""
    require_party_manager(principal, site_owner_id)


def require_may_change_booking(principal: Principal, *, party_id: int, site_owner_id: int) -> None:
    """Cancel and change: the booking party's own keys, the owner's manager, admin."""
    if principal.is_admin or acts_for(principal, party_id):
        return
    if principal.role is Role.manager and acts_for(principal, site_owner_id):
        return
    raise Forbidden("only the booking's party, the site owner's manager or an admin may do this")
