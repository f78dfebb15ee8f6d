"""Agreements: who they bind, their terms and cost shares, and which one covers a booking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement, DirectPartner
from app.agreements.schemas import (
    AgreementCreate,
    AgreementKind,
    AgreementRead,
    AgreementStatus,
    AgreementUpdate,
    Terms,
)
from app.core.auth import Principal, Role, require_admin
from app.core.db import added
from app.core.errors import Forbidden, InvalidTransition, ValidationFailed, found
from app.core.pagination import as_int, keyset, page_of
from app.core.schemas import changes_of
from app.parties.models import Party

# Status changes an agreement may make; a terminated agreement stays terminated.
TRANSITIONS = {
    "draft": {"active", "terminated"},
    "active": {"terminated"},
    "terminated": set(),
}
PARTY_PAIR_KINDS = ({"city"}, {"school_district", "charter_school"})


@dataclass(frozen=True)
class AgreementView:
    agreement: Agreement
    direct_partner_ids: list[int]

    def read(self) -> AgreementRead:
        a = self.agreement
        return AgreementRead(
            id=a.id,
            kind=AgreementKind(a.kind),
            name=a.name,
            party_ids=a.party_ids,
            direct_partner_ids=self.direct_partner_ids,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            status=AgreementStatus(a.status),
            terms=Terms(**a.terms),
            cost_shares={str(p): pct for p, pct in a.cost_shares.items()},
        )


# --- validation -----------------------------------------------------------------


async def _party_kinds(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    rows = await session.execute(select(Party.id, Party.kind).where(Party.id.in_(set(ids))))
    return {pid: kind for pid, kind in rows.all()}


async def _check_parties(
    session: AsyncSession, party_ids: Sequence[int], partner_ids: Sequence[int]
) -> None:
    kinds = await _party_kinds(session, [*party_ids, *partner_ids])
    for i, pid in enumerate(party_ids):
        if pid not in kinds:
            raise ValidationFailed(["body", "party_ids", i], f"no party with id {pid}")
    pair = {kinds[party_ids[0]], kinds[party_ids[1]]}
    city, schools = PARTY_PAIR_KINDS
    if not (pair & city and pair & schools):
        raise ValidationFailed(
            ["body", "party_ids"],
            "an agreement is between the city and a school district or charter school",
        )
    _check_partners(kinds, party_ids, partner_ids)


def _check_partners(
    kinds: dict[int, str], party_ids: Sequence[int], partner_ids: Sequence[int]
) -> None:
    for i, pid in enumerate(partner_ids):
        if pid not in kinds:
            raise ValidationFailed(["body", "direct_partner_ids", i], f"no party with id {pid}")
        if pid in party_ids:
            raise ValidationFailed(
                ["body", "direct_partner_ids", i],
                "a party of the agreement is not its direct partner",
            )
        if kinds[pid] != "community_group":
            raise ValidationFailed(
                ["body", "direct_partner_ids", i], "direct partners are community groups"
            )


def _shares(party_ids: Sequence[int], cost_shares: dict[str, int] | None) -> tuple[int, int]:
    if cost_shares is None:
        return 50, 50
    wanted = {str(p) for p in party_ids}
    if set(cost_shares) != wanted:
        raise ValidationFailed(
            ["body", "cost_shares"], f"must give a percent for exactly the parties {sorted(wanted)}"
        )
    if sum(cost_shares.values()) != 100:
        raise ValidationFailed(["body", "cost_shares"], "percents must sum to 100")
    return cost_shares[str(party_ids[0])], cost_shares[str(party_ids[1])]


# --- reading --------------------------------------------------------------------


async def _partner_ids(session: AsyncSession, agreement_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {aid: [] for aid in agreement_ids}
    if agreement_ids:
        rows = await session.execute(
            select(DirectPartner.agreement_id, DirectPartner.party_id)
            .where(DirectPartner.agreement_id.in_(agreement_ids))
            .order_by(DirectPartner.agreement_id, DirectPartner.party_id)
        )
        for aid, pid in rows.all():
            out[aid].append(pid)
    return out


def _visible_to(principal: Principal) -> Any:
    """Managers read the agreements their party is in (as a party or a direct partner)."""
    if principal.is_admin:
        return True
    if principal.role is not Role.manager or principal.party_id is None:
        raise Forbidden("only admins and managers read agreements")
    pid = principal.party_id
    return or_(
        Agreement.party_a_id == pid,
        Agreement.party_b_id == pid,
        exists().where(DirectPartner.agreement_id == Agreement.id, DirectPartner.party_id == pid),
    )


async def get_agreement(
    session: AsyncSession, *, principal: Principal, agreement_id: int
) -> AgreementView:
    agreement = await session.scalar(
        select(Agreement).where(Agreement.id == agreement_id, _visible_to(principal))
    )
    agreement = found(agreement, "agreement")
    partners = await _partner_ids(session, [agreement.id])
    return AgreementView(agreement, partners[agreement.id])


async def list_agreements(
    session: AsyncSession,
    *,
    principal: Principal,
    status: AgreementStatus | None,
    kind: AgreementKind | None,
    party_id: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AgreementView], str | None]:
    stmt = select(Agreement).where(_visible_to(principal))
    if status is not None:
        stmt = stmt.where(Agreement.status == status.value)
    if kind is not None:
        stmt = stmt.where(Agreement.kind == kind.value)
    if party_id is not None:
        stmt = stmt.where(or_(Agreement.party_a_id == party_id, Agreement.party_b_id == party_id))
    rows = (await session.scalars(keyset(stmt, [Agreement.id], cursor, limit, [as_int]))).all()
    shown, next_cursor = page_of(rows, limit, lambda a: [a.id])
    partners = await _partner_ids(session, [a.id for a in shown])
    return [AgreementView(a, partners[a.id]) for a in shown], next_cursor


# --- writing --------------------------------------------------------------------


async def create_agreement(
    session: AsyncSession, *, principal: Principal, data: AgreementCreate
) -> AgreementView:
    require_admin(principal)
    partner_ids = list(dict.fromkeys(data.direct_partner_ids))
    await _check_parties(session, data.party_ids, partner_ids)
    share_a, share_b = _shares(data.party_ids, data.cost_shares)
    agreement = Agreement(
        kind=data.kind.value,
        name=data.name,
        status=data.status.value,
        party_a_id=data.party_ids[0],
        party_b_id=data.party_ids[1],
        share_a_percent=share_a,
        share_b_percent=share_b,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        terms=data.terms.model_dump(),
    )
    await added(session, agreement)
    session.add_all(DirectPartner(agreement_id=agreement.id, party_id=p) for p in partner_ids)
    await session.flush()
    return AgreementView(agreement, sorted(partner_ids))


async def _for_update(session: AsyncSession, agreement_id: int) -> Agreement:
    agreement = await session.scalar(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update(key_share=True)
    )
    return found(agreement, "agreement")


async def update_agreement(
    session: AsyncSession, *, principal: Principal, agreement_id: int, data: AgreementUpdate
) -> AgreementView:
    """Changes apply to bookings made afterwards: bookings keep the terms and cost
    shares they were made under."""
    require_admin(principal)
    agreement = await _for_update(session, agreement_id)
    changes = changes_of(data)
    if "status" in changes and changes["status"] != agreement.status:
        new = str(changes["status"])
        if new not in TRANSITIONS[agreement.status]:
            raise InvalidTransition(f"an agreement cannot go from {agreement.status} to {new}")
        agreement.status = new
    if "name" in changes:
        agreement.name = str(changes["name"])
    if "ends_on" in changes:
        ends_on = data.ends_on
        if ends_on is not None and ends_on < agreement.starts_on:
            raise ValidationFailed(["body", "ends_on"], "ends_on must not be before starts_on")
        agreement.ends_on = ends_on
    if data.terms is not None:
        try:
            changed = data.terms.model_dump(exclude_unset=True)
            agreement.terms = Terms(**{**agreement.terms, **changed}).model_dump()
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ValidationFailed(["body", "terms", *err["loc"]], err["msg"]) from None
    if data.cost_shares is not None:
        agreement.share_a_percent, agreement.share_b_percent = _shares(
            agreement.party_ids, data.cost_shares
        )
    partner_ids: list[int] | None = None
    if data.direct_partner_ids is not None:
        partner_ids = list(dict.fromkeys(data.direct_partner_ids))
        kinds = await _party_kinds(session, partner_ids)
        _check_partners(kinds, agreement.party_ids, partner_ids)
        await session.execute(
            delete(DirectPartner).where(DirectPartner.agreement_id == agreement.id)
        )
        session.add_all(DirectPartner(agreement_id=agreement.id, party_id=p) for p in partner_ids)
    await session.flush()
    if partner_ids is None:
        partner_ids = (await _partner_ids(session, [agreement.id]))[agreement.id]
    return AgreementView(agreement, sorted(partner_ids))


async def add_direct_partner(
    session: AsyncSession, *, principal: Principal, agreement_id: int, party_id: int
) -> AgreementView:
    require_admin(principal)
    agreement = await _for_update(session, agreement_id)
    kinds = await _party_kinds(session, [party_id])
    if party_id not in kinds:
        raise ValidationFailed(["body", "party_id"], f"no party with id {party_id}")
    if party_id in agreement.party_ids:
        raise ValidationFailed(
            ["body", "party_id"], "a party of the agreement is not its direct partner"
        )
    if kinds[party_id] != "community_group":
        raise ValidationFailed(["body", "party_id"], "direct partners are community groups")
    already = await session.get(DirectPartner, (agreement.id, party_id))
    if already is None:
        session.add(DirectPartner(agreement_id=agreement.id, party_id=party_id))
        await session.flush()
    partners = await _partner_ids(session, [agreement.id])
    return AgreementView(agreement, partners[agreement.id])
