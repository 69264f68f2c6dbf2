"""The devices API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from millet.core.pagination import MAX_OFFSET
from millet.core.types import WholeNumber

DeviceId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]


Username = Annotated[str, Field(min_length=1, max_length=150)]


ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # in a path
BodyId = Annotated[WholeNumber, Field(ge=1, le=2**31 - 1)]  # in a body: a JSON integer


Ttl = Annotated[WholeNumber | None, Field(ge=1, le=7 * 86400)]


class ListFilter(Schema):
    fleet: bool = False
    limit: Annotated[int, Field(ge=1, le=1000)] = 200
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


class ProvisionIn(Schema):
    model_urn: Annotated[str, Field(min_length=1, max_length=128)]
    batch: Annotated[str, Field(min_length=1, max_length=32)]
    serials: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]], Field(min_length=1, max_length=1000)
    ]


class DeviceClaimIn(Schema):
    device_id: DeviceId
    claim_token: Annotated[str, Field(min_length=1, max_length=64)]


class ClaimTokenOut(Schema):
    claim_token: str


class SetIn(Schema):
    props: dict[str, Any]
    ttl_seconds: Ttl = None
    expected_version: Annotated[WholeNumber | None, Field(ge=0, le=2**31 - 1)] = Field(
        None, description="Apply only if the desired state is still at this version (else 409)."
    )


class ActionIn(Schema):
    action: Annotated[str, Field(min_length=1, max_length=64)]
    args: dict[str, Any] = {}
    ttl_seconds: Ttl = None


class CommandOut(Schema):
    command_id: str
    device_id: str
    kind: str
    params: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    result: dict[str, Any]


class InviteIn(Schema):
    login: Annotated[str, Field(min_length=1, max_length=254, description="A username or an email.")]
    role: Literal["read", "control"]


class SentInvitationOut(Schema):
    """An invitation as its owner sees it: the same whether or not the login names an account."""

    invitation_id: int
    login: str
    role: str
    created_at: datetime


class InvitationOut(Schema):
    """An invitation waiting for the signed-in person's answer."""

    invitation_id: int
    device_id: str
    serial: str
    model_urn: str
    invited_by: str
    role: str
    created_at: datetime


class ShareOut(Schema):
    username: str
    role: str


class HomeIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"


class HomeOut(Schema):
    id: int
    name: str
    time_zone: str


class PlaceIn(Schema):
    home_id: BodyId | None


class AutomationIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    trigger_type: Literal["property", "event", "time"]
    trigger: dict[str, Any]
    conditions: Annotated[list[dict[str, Any]], Field(max_length=10)] = []
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)]


class AutomationOut(Schema):
    id: int
    home_id: int
    name: str
    enabled: bool
    trigger_type: str
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    last_fired_at: datetime | None
    fired_count: int


class EnabledIn(Schema):
    enabled: bool


class NotificationOut(Schema):
    id: int
    message: str
    automation_id: int | None
    created_at: datetime


class FirmwareIn(Schema):
    model_urn: Annotated[str, Field(min_length=1, max_length=128)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    url: Annotated[str, Field(min_length=1, max_length=300)]
    sha256: Annotated[str, Field(min_length=64, max_length=64)]
    size: Annotated[WholeNumber, Field(ge=1, le=2**34)]
    notes: Annotated[str, Field(max_length=2000)] = ""


class FirmwareOut(Schema):
    id: int
    model_urn: str
    version: str
    url: str
    sha256: str
    size: int
    created_at: datetime


class RolloutIn(Schema):
    firmware_id: BodyId
    steps: Annotated[list[Annotated[WholeNumber, Field(ge=1, le=100)]], Field(min_length=1, max_length=10)]
    rate_per_minute: Annotated[WholeNumber, Field(ge=1, le=100_000)] = 60
    failure_threshold: Annotated[float, Field(gt=0, le=1)] = 0.2
    min_finished: Annotated[WholeNumber, Field(ge=1, le=100_000)] = 5


class RolloutOut(Schema):
    id: int
    firmware_id: int
    version: str
    status: str
    steps: list[int]
    step_index: int
    rate_per_minute: int
    failure_threshold: float
    reason: str
    rollback_of: int | None
    counts: dict[str, int]


class ConnectedGroup(Schema):
    model_urn: str
    region: str
    firmware_version: str
    count: int


class ConnectedOut(Schema):
    online: int
    devices: int
    groups: list[ConnectedGroup]


class DayCount(Schema):
    day: date
    count: int


class DaysFilter(Schema):
    days: Annotated[int, Field(ge=1, le=366)] = 30


class BatchOut(Schema):
    batch: str
    model_urn: str
    devices: int
    failed: int
    failure_rate: float
