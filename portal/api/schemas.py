"""The API's request and response bodies as pydantic models (they also make the OpenAPI schemas).

pydantic 2 (the version SQLModel 0.0.50 runs on) writes JSON Schema 2020-12, which is what
OpenAPI 3.1 uses for its schemas, so the models go into the document as they are.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from portal.core.ids import MAX_ID
from portal.services import InputError
from portal.services.promises import parse_promise_date
from portal.services.recruiters import normalise_email
from portal.services.updates import MAX_NOTE_LENGTH

# The one id range (portal.core.ids): a larger number cannot even be compared on PostgreSQL.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _clean_text(value):
    """Refuse what databases cannot store: NUL characters and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    return value


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        return _clean_text(value)


# ---- errors -------------------------------------------------------------------------------

class FieldError(BaseModel):
    field: str = Field(description="The offending field: a body field, query parameter or "
                                   "header, e.g. `email`, `limit`, `Idempotency-Key`.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = Field(description="A URL explaining this kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(description="Each offending field; empty when the "
                                                 "problem is not about a field.")


# ---- resources ----------------------------------------------------------------------------

class StageOut(BaseModel):
    key: str = Field(description="Use this key to move an application to the stage.")
    position: int
    label: dict[str, str] = Field(description='The stage name per language, {"en": …, "sv": …}.')
    is_terminal: bool = Field(description="Moving here closes the application.")
    outcome: str | None = Field(description="hired, not_selected, withdrawn or closed.")


class ClientOut(BaseModel):
    id: int
    slug: str
    name: str
    country: str
    default_language: str


class JobOut(BaseModel):
    id: int
    client_id: int
    title: str
    is_open: bool
    promise_days: int = Field(description="Business days until the next promised update.")
    stages: list[StageOut]


class ApplicationOut(BaseModel):
    id: int
    job_id: int
    client_id: int
    name: str
    email: str
    language: str
    stage: str = Field(description="The key of the current stage.")
    is_open: bool
    promised_by: date | None = Field(description="The date the candidate was promised their "
                                                 "next update by (none when closed).")
    status_url: str = Field(description="The candidate's personal status page. Send it only "
                                        "to the candidate: it needs no login.")
    last_update_at: datetime
    created_at: datetime
    updated_at: datetime


class UpdateOut(BaseModel):
    id: int
    application_id: int
    kind: str = Field(description="created, stage_change, note, no_news, internal, system, "
                                  "question, still_interested, withdrawal, candidate_message.")
    stage: str | None = Field(description="The stage moved to, if the update moved it.")
    public_note: str | None
    internal_note: str | None
    promised_by: date | None
    is_public: bool = Field(description="Shown to the candidate (false for internal notes).")
    created_at: datetime


class ClientPage(BaseModel):
    data: list[ClientOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last page.")


class JobPage(BaseModel):
    data: list[JobOut]
    next_cursor: str | None


class ApplicationPage(BaseModel):
    data: list[ApplicationOut]
    next_cursor: str | None


class UpdatePage(BaseModel):
    data: list[UpdateOut]
    next_cursor: str | None


# ---- requests -----------------------------------------------------------------------------

class ApplicationIn(RequestModel):
    """A new candidate for a job; the candidate gets the acknowledgement email."""

    job_id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    language: Literal["en", "sv"] | None = Field(
        default=None, description="The candidate's language (default: the client's).")
    stage: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None, description="A stage key of the job (default: its first stage).")

    @field_validator("email")
    @classmethod
    def _an_email_address(cls, value: str) -> str:
        """Checked here too (by the service's own rule), so that a bad email is reported with
        every other bad field."""
        try:
            normalise_email(value)
        except InputError as error:
            raise ValueError(error.message) from None
        return value


class UpdateIn(RequestModel):
    """An update on an application, as in the desk.

    Give any of `stage`, `public_note`, `internal_note`, `promised_by`; or `no_news: true`
    alone (optionally with `promised_by`) to send the honest "no news yet" note in the
    candidate's language. A stage change or a note to the candidate emails the candidate.
    """

    stage: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None, description="Move the application to this stage key.")
    public_note: Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH)] | None = Field(
        default=None, description="A note to the candidate (emailed to them).")
    internal_note: Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH)] | None = Field(
        default=None, description="A note for the agency only; never shown to the candidate.")
    promised_by: date | None = Field(
        default=None, description="The next update is promised by this date (today or later; "
                                  "default: the job's interval).")
    no_news: bool = Field(default=False, description='Send "no news yet" and move the promise.')

    @field_validator("promised_by", mode="before")
    @classmethod
    def _a_promise_date(cls, value):
        """Read by the services' one promise-date parser (YYYY-MM-DD, nothing else)."""
        if value is None or isinstance(value, date):
            return value
        try:
            return parse_promise_date(value if isinstance(value, str) else repr(value))
        except InputError as error:
            raise ValueError(error.message) from None


# ---- query strings ------------------------------------------------------------------------

class ListQuery(RequestModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=200, description="Items per page (1–200).")
    cursor: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="`next_cursor` of the previous page.")


class ApplicationQuery(ListQuery):
    client_id: Id | None = Field(default=None, description="Only this client's applications.")
    job_id: Id | None = Field(default=None, description="Only this job's applications.")
    stage: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="Only applications in a stage with this key.")
    open: bool | None = Field(default=None, description="true: open only; false: closed only.")
