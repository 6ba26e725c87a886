"""Consultations made the way staff make them (through the services), and residents who may
take part. Used by the unit tests and by the browser journey."""

import datetime
import random
from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from ecitizen.accounts.models import StaffRole, User
from ecitizen.accounts.services import staff_role_grant
from ecitizen.accounts.tests.factories import AgencyFactory, AreaFactory, UserFactory
from ecitizen.consultations import selectors, services
from ecitizen.consultations.models import Consultation, OpinionParticipant, Question, Vote
from ecitizen.consultations.opinion import synthetic_consultation
from ecitizen.consultations.services import ConsultationData, QuestionData
from ecitizen.core.models import Agency, Area

__all__ = ["admin", "agency", "area", "consultation", "make_resident"]

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
Kind = Question.Kind


def t(text: str) -> dict[str, str]:
    """The same text in every language (tests do not check translations of staff text)."""
    return {"en": text, "fr": f"{text} (fr)", "es": f"{text} (es)"}


def staff_admin(agency: Agency) -> User:
    user = UserFactory()
    staff_role_grant(actor=None, user=user, role=StaffRole.Role.AGENCY_ADMIN, agency=agency)
    TOTP.activate(user, TOTP_SECRET)
    return user


def resident_in(area: Area | None, *, verified: bool = True, name: str = "Amara Okafor") -> User:
    user = UserFactory()
    if not verified:
        user.emailaddress_set.update(verified=False)
    profile = user.profile
    profile.area = area
    profile.legal_name = name
    profile.save(update_fields=["area", "legal_name"])
    return user


SURVEY = [
    QuestionData(
        kind=Kind.SINGLE,
        label=t("How often do you visit the park?"),
        options=[t("Every day"), t("Every week"), t("Rarely")],
    ),
    QuestionData(
        kind=Kind.TEXT,
        label=t("What keeps you away?"),
        required=True,
        condition={"question": "q1", "in": ["rarely"]},
    ),
    QuestionData(
        kind=Kind.MULTIPLE,
        label=t("What would you like?"),
        options=[t("Benches"), t("Playground"), t("Lighting")],
    ),
    QuestionData(
        kind=Kind.RANKING,
        label=t("Rank these priorities"),
        options=[t("Trees"), t("Play"), t("Safety")],
    ),
    QuestionData(kind=Kind.SCALE, label=t("The park should stay open after dark.")),
    QuestionData(kind=Kind.TEXT, label=t("Anything else?"), required=False),
]

#: Answers to SURVEY by someone who visits every day.
COMPLETE = {
    "q1": "every-day",
    "q3": ["benches", "lighting"],
    "q4": ["safety", "trees", "play"],
    "q5": 4,
}


def make_survey(
    *,
    agency: Agency | None = None,
    admin: User | None = None,
    questions: list[QuestionData] | None = None,
    publish: bool = True,
    opinion_map: bool = False,
    statements: int = 0,
    **changes: Any,
) -> Consultation:
    """A published, open consultation (opened an hour ago, closes in a week) with SURVEY."""
    agency = agency or AgencyFactory()
    admin = admin or staff_admin(agency)
    now = timezone.now()
    data = ConsultationData(
        title=t("Riverside Park renewal"),
        summary=t("Tell us what matters to you."),
        body=t("We are renewing the park."),
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=7),
        participation=Consultation.Participation.VERIFIED,
        opinion_map_enabled=opinion_map,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    consultation = services.consultation_create(actor=admin, agency=agency, data=data)
    for question in SURVEY if questions is None else questions:
        services.question_save(actor=admin, consultation=consultation, data=question)
    for i in range(statements):
        services.statement_add(
            actor=admin, consultation=consultation, text=t(f"Statement number {i + 1}.")
        )
    if publish:
        services.consultation_publish(actor=admin, consultation=consultation)
    consultation.refresh_from_db()
    return consultation


def close_now(consultation: Consultation) -> Consultation:
    """Move the closing time to the past (as if the consultation had run its course)."""
    now = timezone.now()
    Consultation.objects.filter(pk=consultation.pk).update(
        opens_at=now - datetime.timedelta(days=10), closes_at=now - datetime.timedelta(minutes=1)
    )
    consultation.refresh_from_db()
    return consultation


def planted_votes(consultation: Consultation, order_seed: int) -> list[tuple[int, int, int]]:
    """60 generated participants voting along 3 planted groups, inserted in a shuffled
    order; returns (participant, statement, vote) with the stored ids."""
    statements = list(selectors.approved_statements(consultation))
    synthetic = synthetic_consultation(
        n_participants=60,
        n_statements=len(statements),
        n_groups=3,
        signature_per_group=3,
        votes_per_participant=(9, len(statements)),
        seed=3,
        id_mapper=lambda i: i,
    )
    participants = OpinionParticipant.objects.bulk_create(
        [OpinionParticipant(consultation=consultation) for _ in range(60)]
    )
    rows = synthetic.votes.tolist()
    random.Random(order_seed).shuffle(rows)
    Vote.objects.bulk_create(
        [Vote(participant=participants[p], statement=statements[s], vote=v) for p, s, v in rows]
    )
    return [(participants[p].pk, statements[s].pk, v) for p, s, v in rows]


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory()


@pytest.fixture
def admin(agency: Agency) -> User:
    return staff_admin(agency)


@pytest.fixture
def area(db: None) -> Area:
    return AreaFactory(code="riverside", name="Riverside")


@pytest.fixture
def make_resident(area: Area) -> Callable[..., User]:
    def make(**kwargs: Any) -> User:
        return resident_in(kwargs.pop("area", area), **kwargs)

    return make


@pytest.fixture
def consultation(agency: Agency, admin: User) -> Consultation:
    return make_survey(agency=agency, admin=admin)
