"""The JSON shapes of the API, as pydantic models (they make ``/openapi.json`` too)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from .._models import Message

__all__ = ["MessageIn", "MessageOut", "MessagePage", "ProblemOut", "SendOut"]


def _no_surrogates(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
        return str(value)
    return value


_Unicode = AfterValidator(_no_surrogates)
Phone = Annotated[str, StringConstraints(max_length=32), _Unicode]
Name = Annotated[str, StringConstraints(max_length=128), _Unicode]
Value = Annotated[str, StringConstraints(max_length=1024), _Unicode]
Text = Annotated[str, StringConstraints(max_length=1600), _Unicode]
Param = Annotated[
    str, BeforeValidator(_scalar, json_schema_input_type=str | int), StringConstraints(max_length=1024), _Unicode
]
Params = Annotated[dict[Name, Param], Field(max_length=64)]


class MessageIn(BaseModel):
    """One SMS to up to 1,000 recipients: a template code and/or a ``${name}`` text, and params."""

    model_config = ConfigDict(extra="forbid")

    to: Annotated[list[Phone], Field(min_length=1, max_length=1000)] = Field(
        description="recipient phones: E.164, or national numbers of the service's default region",
        examples=[["+8613800138000"]],
    )
    template: Name | None = Field(None, description="template code (Aliyun, Tencent, Huawei)")
    text: Text | None = Field(None, description="text with ${name} params (Twilio, SNS, Vonage)")
    params: Params = Field(default_factory=dict)
    sign_name: Name | None = None
    templates: Annotated[dict[Name, Name], Field(max_length=32)] = Field(
        default_factory=dict, description="template code per provider"
    )
    sign_names: Annotated[dict[Name, Name], Field(max_length=32)] = Field(
        default_factory=dict, description="sign name per provider"
    )
    param_order: Annotated[list[Name], Field(max_length=64)] | None = None
    recipient_params: Annotated[dict[Phone, Params], Field(max_length=1000)] = Field(default_factory=dict)
    out_id: Name | None = None
    extend_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{0,12}$")] | None = None
    providers: Annotated[list[Name], Field(min_length=1, max_length=32)] | None = Field(
        None, description="only these providers, in this order"
    )

    def message(self, idempotency_key: str | None) -> Message:
        return Message(
            to=tuple(self.to),
            template=self.template,
            params=self.params,
            sign_name=self.sign_name,
            text=self.text,
            templates=self.templates,
            sign_names=self.sign_names,
            param_order=self.param_order,
            recipient_params=self.recipient_params,
            idempotency_key=idempotency_key,
            out_id=self.out_id,
            extend_code=self.extend_code,
        )


class ErrorOut(BaseModel):
    error: str
    code: int
    message: str
    category: str
    retryable: bool
    provider: str | None = None
    provider_code: str | None = None
    provider_message: str | None = None
    retry_after: float | None = None


Outcome = Literal["accepted", "rejected", "failed", "unknown"]


class RecipientOut(BaseModel):
    phone: str
    status: Outcome
    provider: str | None
    message_id: str | None
    error: ErrorOut | None


class AttemptOut(BaseModel):
    provider: str
    phones: list[str]
    status: Outcome
    error: ErrorOut | None
    started_at: float
    elapsed: float
    number: int


class SendOut(BaseModel):
    """What became of every recipient; ``replayed`` when an ``Idempotency-Key`` matched an earlier send."""

    message_id: str
    ok: bool
    replayed: bool
    recipients: list[RecipientOut]
    attempts: list[AttemptOut]


Logged = Literal["pending", "accepted", "rejected", "failed", "unknown", "partial"]


class LoggedRecipientOut(BaseModel):
    phone: str
    status: Logged
    provider: str | None
    message_id: str | None = Field(description="the provider's message id")
    error: dict[str, Any] | None
    delivery: str | None = Field(description="the latest delivery report's status, when one came")


class LoggedAttemptOut(BaseModel):
    provider: str | None
    phones: list[str]
    status: Logged
    number: int
    error: dict[str, Any] | None
    created_at: float
    updated_at: float


class MessageOut(BaseModel):
    """A message as the send log tells it: recipients, every request, delivery status."""

    id: str
    status: Logged
    created_at: float
    updated_at: float
    phones: list[str]
    recipients: list[LoggedRecipientOut]
    attempts: list[LoggedAttemptOut]


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


class ProblemOut(BaseModel):
    """RFC 9457 problem details, with smsgate's error ``code`` and the ``field`` at fault."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: int
    field: str | None = None
