"""Integration events published by identity (ID-1 … ID-4)."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from shared.events.base import IntegrationEvent

IRAN_MOBILE_E164 = r"^\+989\d{9}$"


class _Identity(IntegrationEvent):
    producer: ClassVar[str] = "identity"


class UserRegisteredV1(_Identity):
    type: ClassVar[str] = "UserRegistered"
    user_id: uuid.UUID
    mobile: str = Field(pattern=IRAN_MOBILE_E164)
    locale: Literal["fa", "en"] = "fa"


class VerificationCodeIssuedV1(_Identity):
    """The code itself travels sealed: only notifications' private key opens it."""

    type: ClassVar[str] = "VerificationCodeIssued"
    user_id: uuid.UUID
    mobile: str = Field(pattern=IRAN_MOBILE_E164)
    purpose: Literal["signup", "password_reset"]
    sealed_code: str = Field(min_length=1, max_length=1000)
    expires_at: AwareDatetime
    locale: Literal["fa", "en"] = "fa"


class MobileVerifiedV1(_Identity):
    type: ClassVar[str] = "MobileVerified"
    user_id: uuid.UUID
    mobile: str = Field(pattern=IRAN_MOBILE_E164)


class PasswordChangedV1(_Identity):
    type: ClassVar[str] = "PasswordChanged"
    user_id: uuid.UUID
    sessions_revoked: bool = True


class SessionsEndedV1(_Identity):
    """Sessions that ended before their time: the gateway refuses their access tokens from
    now on (they would otherwise stay valid until they expire)."""

    type: ClassVar[str] = "SessionsEnded"
    user_id: uuid.UUID
    session_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=1000)
    reason: Literal["logout", "refresh_token_reused", "password_changed"]
    ended_at: AwareDatetime


class TicketAnsweredV1(_Identity):
    """Support answered a customer's ticket (issue #19): notifications tells the customer by SMS
    that an answer waits on the personal page. The answer itself stays in identity."""

    type: ClassVar[str] = "TicketAnswered"
    ticket_id: uuid.UUID
    customer_user_id: uuid.UUID
    category: str = Field(min_length=1, max_length=40)
