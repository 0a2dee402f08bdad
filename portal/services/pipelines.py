"""The default stage pipeline, in English and Swedish, and stage validation."""

import re
from dataclasses import dataclass, field

from portal.models import Outcome
from portal.services import N_, InputError

STAGE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class StageSpec:
    """A stage as entered or defined, before it belongs to a job."""

    key: str
    label: dict[str, str]
    guidance: dict[str, str] = field(default_factory=dict)
    is_terminal: bool = False
    outcome: str | None = None


DEFAULT_PIPELINE: tuple[StageSpec, ...] = (
    StageSpec(
        "applied",
        {"en": "Application received", "sv": "Ansökan mottagen"},
        {
            "en": "We have your application. Every application is read by a person, and you "
            "will hear from us by the date below, whatever the news.",
            "sv": "Vi har tagit emot din ansökan. Varje ansökan läses av en människa, och du "
            "hör av oss senast det datum som står nedan, oavsett besked.",
        },
    ),
    StageSpec(
        "screening",
        {"en": "Under review", "sv": "Under granskning"},
        {
            "en": "The recruiter is comparing the applications with what the role needs. "
            "Next comes a decision on who is invited to interview.",
            "sv": "Rekryteraren jämför ansökningarna med vad tjänsten kräver. Därefter "
            "bestäms vilka som bjuds in till intervju.",
        },
    ),
    StageSpec(
        "interview",
        {"en": "Interview", "sv": "Intervju"},
        {
            "en": "You are invited to, or have had, an interview. Afterwards you will get "
            "personal feedback, and word on whether the process goes on.",
            "sv": "Du är inbjuden till, eller har gjort, en intervju. Efteråt får du personlig "
            "återkoppling och besked om processen går vidare.",
        },
    ),
    StageSpec(
        "final",
        {"en": "Final stage", "sv": "Slutskede"},
        {
            "en": "You are one of the final candidates. The client is meeting the last "
            "candidates and checking references before deciding.",
            "sv": "Du är en av de sista kandidaterna. Kunden träffar de sista kandidaterna "
            "och tar referenser innan beslut.",
        },
    ),
    StageSpec(
        "offer",
        {"en": "Offer", "sv": "Erbjudande"},
        {
            "en": "The client wants to make you an offer. The recruiter will go through the "
            "terms with you.",
            "sv": "Kunden vill ge dig ett erbjudande. Rekryteraren går igenom villkoren med dig.",
        },
    ),
    StageSpec(
        "hired",
        {"en": "Hired", "sv": "Anställd"},
        {
            "en": "Congratulations, and welcome aboard. This application is complete.",
            "sv": "Grattis och välkommen! Den här ansökan är klar.",
        },
        is_terminal=True,
        outcome=Outcome.HIRED,
    ),
    StageSpec(
        "not_selected",
        {"en": "Not selected", "sv": "Inte aktuell"},
        {
            "en": "This time the process goes on without you. Thank you for the time and "
            "care you put into your application.",
            "sv": "Den här gången går processen vidare utan dig. Tack för tiden och "
            "engagemanget du lade på din ansökan.",
        },
        is_terminal=True,
        outcome=Outcome.NOT_SELECTED,
    ),
    StageSpec(
        "withdrawn",
        {"en": "Withdrawn", "sv": "Återkallad"},
        {
            "en": "You have withdrawn this application. Thank you for letting us know.",
            "sv": "Du har återkallat ansökan. Tack för att du hörde av dig.",
        },
        is_terminal=True,
        outcome=Outcome.WITHDRAWN,
    ),
    StageSpec(
        "closed",
        {"en": "Position closed", "sv": "Tjänsten stängd"},
        {
            "en": "The client has closed this position without hiring. Thank you for your "
            "interest; we hope to meet you again.",
            "sv": "Kunden har stängt tjänsten utan att anställa. Tack för ditt intresse, vi "
            "hoppas att vi ses igen.",
        },
        is_terminal=True,
        outcome=Outcome.CLOSED,
    ),
)


def validate_pipeline(stages: list[StageSpec]) -> list[StageSpec]:
    """Check a pipeline: keys well-formed and unique, labels present, one open stage at least."""
    if not stages:
        raise InputError("stages", N_("a job needs at least one stage"))
    seen: set[str] = set()
    for number, stage in enumerate(stages, start=1):
        if not STAGE_KEY.match(stage.key):
            raise InputError(
                "stages",
                N_("stage %(number)d: key %(key)s must be lower-case letters, digits or _ "
                   "(starting with a letter, at most 40)"),
                number=number, key=repr(stage.key),
            )
        if stage.key in seen:
            raise InputError(
                "stages", N_("stage %(number)d: key %(key)s is used twice"),
                number=number, key=repr(stage.key),
            )
        seen.add(stage.key)
        if not (stage.label.get("en") or "").strip():
            raise InputError(
                "stages", N_("stage %(number)d (%(key)s): an English label is needed"),
                number=number, key=stage.key,
            )
        if any(len(text) > 160 for text in stage.label.values()):
            raise InputError(
                "stages", N_("stage %(number)d (%(key)s): label longer than 160"),
                number=number, key=stage.key,
            )
        if any(len(text) > 1000 for text in stage.guidance.values()):
            raise InputError(
                "stages", N_("stage %(number)d (%(key)s): text longer than 1000"),
                number=number, key=stage.key,
            )
    if stages[0].is_terminal:
        raise InputError("stages", N_("the first stage cannot be a closing one"))
    return stages
