"""An invitation of a mobile number into a business (issue #19): what it holds and when it
still works. The Business aggregate records invitations (domain.py); the rules that need no
aggregate state live here.

- **Lifetime**: 7 days by the platform clock (``INVITATION_LIFETIME``; ``INVITATION_DAYS`` in
  tenancy's settings): long enough for a colleague to sign up over a weekend, short enough
  that a forgotten link does not open the business months later.
- **The same number again**: with the same permissions while the first is pending, the answer
  is that invitation (a double click sends no second SMS); otherwise the new invitation
  replaces the old one, whose link then answers ``invitation_replaced``.
- **A seat only when accepted**: pending invitations take no seat; the limit (PR-3, TE-2) is
  checked when the invitee accepts, and a full business answers ``seat_limit_reached``.
- **Only the invited number**: the accepting user's verified mobile (tenancy's directory, from
  identity's MobileVerified) must be the invited one; the link alone grants nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

INVITATION_LIFETIME = timedelta(days=7)
MAX_PENDING_INVITATIONS = 20  # per business: a cap on the SMS an admin's account can make us send
STATES = ("pending", "accepted", "revoked", "replaced")


@dataclass(frozen=True)
class Invitation:
    mobile: Personal  # sealed under the business's key: a purge shreds it with the name
    permissions: tuple[str, ...]
    invited_by: str
    invited_at: datetime
    expires_at: datetime
    state: str = "pending"  # one of STATES
    accepted_by: str | None = None

    def open_at(self, now: datetime) -> bool:
        return self.state == "pending" and now < self.expires_at

    def is_for(self, e164: str | None) -> bool:
        return e164 is not None and not self.mobile.forgotten and self.mobile.value == e164

    def check_acceptable(self, user_id: str, now: datetime) -> bool:
        """True when it may be accepted now; False when this user accepted it already (a second
        press); a refusal otherwise. The caller has checked the number first."""
        if self.state == "accepted":
            if self.accepted_by == user_id:
                return False
            raise DomainError("invitation_already_accepted")
        if self.state == "revoked":
            raise DomainError("invitation_revoked")
        if self.state == "replaced":
            raise DomainError("invitation_replaced")
        if now >= self.expires_at:
            raise DomainError("invitation_expired", expired_at=self.expires_at.isoformat())
        return True
