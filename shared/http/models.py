"""Request bodies the gateway validates before it calls a service (pydantic)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegistrationRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=1024)
    locale: str = Field(default="fa", pattern="^(fa|en)$")


class VerificationRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=20)
    # Required: without it the newest code would verify, and a stranger who registered the
    # number after its owner would have his password activated by the owner's typing (issue #13).
    registration_id: str = Field(min_length=1, max_length=64, pattern="^[0-9a-f]+$",
                                 description="what registering answered: only that attempt's code verifies")


class CodeRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    purpose: str = Field(default="signup", pattern="^(signup|password_reset)$")


class PasswordResetRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)


class PasswordResetConfirmation(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=20)
    new_password: str = Field(min_length=1, max_length=1024)


class LoginRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(_Body):
    refresh_token: str = Field(min_length=1, max_length=300)


class ClockAdvanceRequest(_Body):
    advance: timedelta = Field(description="ISO-8601 duration, e.g. P90D or PT1H")


class ReplayRequest(_Body):
    """Replay one dead letter by its message id, or every one with ``all``."""

    message_id: str | None = Field(default=None, min_length=1, max_length=100)
    all: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> ReplayRequest:
        if (self.message_id is None) == (not self.all):
            raise ValueError("give either message_id or all=true")
        return self
