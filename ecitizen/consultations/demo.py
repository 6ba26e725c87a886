"""Demo data for consultations (run by ``manage.py seed_demo``; idempotent: a consultation
whose English title exists already is left alone).

* **Riverside Park renewal** - open: a survey with every kind of question (including one
  asked only after a given answer), anonymous responses allowed, a plan (PDF) with three
  sections to comment on, comments and a reply by the demo residents, one comment hidden by
  a moderator with the reason shown, and an opinion map with 16 statements and 160 generated
  participants voting along three planted opinion groups (``synthetic_consultation``), so
  the map shows groups straight away.
* **Harbour cycle lanes** - closed: 48 generated responses, results, and a published
  "you said, we did".

Everything is written through the services, except what only history can produce: the
generated opinion-map participants (anonymous rows with no user) and the responses of the
closed consultation, which are bulk-inserted and recorded by one audit entry each.
"""

import datetime
import random

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ecitizen.accounts.models import User
from ecitizen.applications.uploads import validate_upload
from ecitizen.audit.services import audit_record
from ecitizen.consultations import services
from ecitizen.consultations.models import (
    Comment,
    Consultation,
    OpinionParticipant,
    Question,
    Response,
    Statement,
    Vote,
)
from ecitizen.consultations.opinion import synthetic_consultation
from ecitizen.consultations.services import ConsultationData, QuestionData
from ecitizen.core.models import Agency, Area

ADMIN = "agency-admin@demo.ecitizen.example"
RESIDENT = "resident@demo.ecitizen.example"
RESIDENT2 = "resident2@demo.ecitizen.example"
Kind = Question.Kind


def _t(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


PARK = _t(
    "Riverside Park renewal", "Rénovation du parc de la Rivière", "Renovación del parque Ribera"
)
CYCLE = _t("Harbour cycle lanes", "Pistes cyclables du Port", "Carriles bici del Puerto")

PARK_QUESTIONS = [
    QuestionData(
        kind=Kind.SINGLE,
        label=_t(
            "How often do you visit Riverside Park?",
            "À quelle fréquence allez-vous au parc de la Rivière ?",
            "¿Con qué frecuencia visita el parque Ribera?",
        ),
        options=[
            _t("Every day", "Tous les jours", "Todos los días"),
            _t("Every week", "Toutes les semaines", "Todas las semanas"),
            _t("Every month", "Tous les mois", "Todos los meses"),
            _t("Rarely or never", "Rarement ou jamais", "Rara vez o nunca"),
        ],
    ),
    QuestionData(
        kind=Kind.TEXT,
        label=_t(
            "What keeps you from visiting the park?",
            "Qu'est-ce qui vous empêche d'aller au parc ?",
            "¿Qué le impide visitar el parque?",
        ),
        required=False,
        condition={"question": "q1", "in": ["rarely-or-never"]},
    ),
    QuestionData(
        kind=Kind.MULTIPLE,
        label=_t(
            "What would make you visit more often?",
            "Qu'est-ce qui vous donnerait envie d'y aller plus souvent ?",
            "¿Qué le haría visitarlo más a menudo?",
        ),
        help_text=_t(
            "Choose all that apply.",
            "Cochez tout ce qui s'applique.",
            "Elija todas las que correspondan.",
        ),
        options=[
            _t("More benches and shade", "Plus de bancs et d'ombre", "Más bancos y sombra"),
            _t("A new playground", "Une nouvelle aire de jeux", "Un nuevo parque infantil"),
            _t("Better lighting", "Un meilleur éclairage", "Mejor iluminación"),
            _t("Public toilets", "Des toilettes publiques", "Aseos públicos"),
        ],
    ),
    QuestionData(
        kind=Kind.RANKING,
        label=_t(
            "Rank these priorities for the park",
            "Classez ces priorités pour le parc",
            "Ordene estas prioridades para el parque",
        ),
        options=[
            _t("Trees and green space", "Arbres et espaces verts", "Árboles y zonas verdes"),
            _t("Play and sport", "Jeux et sport", "Juego y deporte"),
            _t("Safety and lighting", "Sécurité et éclairage", "Seguridad e iluminación"),
        ],
    ),
    QuestionData(
        kind=Kind.SCALE,
        label=_t(
            "The park should stay open after dark.",
            "Le parc devrait rester ouvert après la tombée de la nuit.",
            "El parque debería seguir abierto al anochecer.",
        ),
    ),
    QuestionData(
        kind=Kind.TEXT,
        label=_t(
            "Is there anything else you want to tell us?",
            "Voulez-vous nous dire autre chose ?",
            "¿Quiere decirnos algo más?",
        ),
        required=False,
    ),
]

SECTIONS = [
    _t("1. Trees and planting", "1. Arbres et plantations", "1. Árboles y plantaciones"),
    _t("2. Play and sport", "2. Jeux et sport", "2. Juego y deporte"),
    _t("3. Lighting and safety", "3. Éclairage et sécurité", "3. Iluminación y seguridad"),
]

# 3 planted groups x 3 "signature" statements, then 4 everyone agrees with, 2 everyone
# rejects, and 1 that splits people at random (``synthetic_consultation``'s layout).
STATEMENTS = [
    _t(
        "The park should have more trees, even if it means less lawn.",
        "Le parc devrait avoir plus d'arbres, quitte à réduire la pelouse.",
        "El parque debería tener más árboles, aunque haya menos césped.",
    ),
    _t(
        "Part of the park should be left wild for nature.",
        "Une partie du parc devrait rester sauvage pour la nature.",
        "Parte del parque debería quedar salvaje para la naturaleza.",
    ),
    _t(
        "The car park by the river should become a meadow.",
        "Le parking près de la rivière devrait devenir une prairie.",
        "El aparcamiento junto al río debería ser una pradera.",
    ),
    _t(
        "The park needs a bigger playground.",
        "Le parc a besoin d'une plus grande aire de jeux.",
        "El parque necesita un parque infantil más grande.",
    ),
    _t(
        "A sports pitch would bring more young people.",
        "Un terrain de sport attirerait plus de jeunes.",
        "Una pista deportiva atraería a más jóvenes.",
    ),
    _t(
        "Dogs should be kept on a lead everywhere in the park.",
        "Les chiens devraient être tenus en laisse partout dans le parc.",
        "Los perros deberían ir atados en todo el parque.",
    ),
    _t(
        "The park should be lit all night.",
        "Le parc devrait être éclairé toute la nuit.",
        "El parque debería estar iluminado toda la noche.",
    ),
    _t(
        "There should be cameras at the entrances.",
        "Il devrait y avoir des caméras aux entrées.",
        "Debería haber cámaras en las entradas.",
    ),
    _t(
        "The park should close at 10 pm.",
        "Le parc devrait fermer à 22 heures.",
        "El parque debería cerrar a las 22 horas.",
    ),
    _t(
        "The park needs more benches.",
        "Le parc a besoin de plus de bancs.",
        "El parque necesita más bancos.",
    ),
    _t(
        "The paths should be accessible to wheelchairs and buggies.",
        "Les allées devraient être accessibles aux fauteuils roulants et aux poussettes.",
        "Los caminos deberían ser accesibles en silla de ruedas y con carrito.",
    ),
    _t(
        "The park needs public toilets.",
        "Le parc a besoin de toilettes publiques.",
        "El parque necesita aseos públicos.",
    ),
    _t(
        "The riverbank should be cleaned more often.",
        "Les berges devraient être nettoyées plus souvent.",
        "La ribera debería limpiarse más a menudo.",
    ),
    _t(
        "The park should be sold to build housing.",
        "Le parc devrait être vendu pour construire des logements.",
        "El parque debería venderse para construir viviendas.",
    ),
    _t(
        "Nothing in the park needs to change.",
        "Rien ne doit changer dans le parc.",
        "No hay que cambiar nada en el parque.",
    ),
    _t(
        "A café would make the park nicer.",
        "Un café rendrait le parc plus agréable.",
        "Una cafetería haría el parque más agradable.",
    ),
]

COMMENTS = [
    (
        RESIDENT,
        None,
        "I walk my children to school through the park. Please keep the lime "
        "trees by the gate: they are the best thing about it.",
    ),
    (RESIDENT2, 0, "Tout à fait d'accord, et il faudrait des bancs à l'ombre sous ces arbres."),
    (
        RESIDENT,
        "lighting",
        "The path along the river is very dark in winter. Even low "
        "lighting would help people walking home from the station.",
    ),
]


def _pdf() -> SimpleUploadedFile:
    text = b"Riverside Park renewal - draft plan"
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return SimpleUploadedFile("riverside-park-plan.pdf", bytes(out), "application/pdf")


def _exists(title: dict[str, str]) -> bool:
    return Consultation.objects.filter(title__en=title["en"]).exists()


def seed() -> None:
    admin = User.objects.filter(email=ADMIN).first()
    agency = Agency.objects.filter(code="planning").first()
    if admin is None or agency is None:
        return
    if not _exists(PARK):
        _seed_park(admin, agency)
    if not _exists(CYCLE):
        _seed_cycle_lanes(admin, agency)


@transaction.atomic
def _seed_park(admin: User, agency: Agency) -> None:
    now = timezone.now()
    riverside = list(Area.objects.filter(code="riverside"))
    consultation = services.consultation_create(
        actor=admin,
        agency=agency,
        data=ConsultationData(
            title=PARK,
            summary=_t(
                "We are renewing Riverside Park next year. Tell us what matters to you.",
                "Nous rénovons le parc de la Rivière l'an prochain. Dites-nous ce qui compte "
                "pour vous.",
                "Renovaremos el parque Ribera el año que viene. Díganos qué le importa.",
            ),
            body=_t(
                "The park has not changed in thirty years. We have money to renew it, but "
                "not to do everything.\n\nRead the draft plan, answer the survey and comment "
                "on each part of the plan. Vote on short statements to see where people "
                "agree.",
                "Le parc n'a pas changé depuis trente ans. Nous avons de quoi le rénover, "
                "mais pas de tout faire.\n\nLisez le projet, répondez au questionnaire et "
                "commentez chaque partie. Votez sur de courtes affirmations pour voir ce qui "
                "rassemble.",
                "El parque no ha cambiado en treinta años. Tenemos dinero para renovarlo, "
                "pero no para hacerlo todo.\n\nLea el borrador, responda a la encuesta y "
                "comente cada parte. Vote sobre frases cortas para ver en qué se coincide.",
            ),
            opens_at=now - datetime.timedelta(days=7),
            closes_at=now + datetime.timedelta(days=28),
            participation=Consultation.Participation.VERIFIED,
            allow_anonymous=True,
            opinion_map_enabled=True,
            areas=riverside,
        ),
    )
    for data in PARK_QUESTIONS:
        services.question_save(actor=admin, consultation=consultation, data=data)
    document = services.document_add(
        actor=admin,
        consultation=consultation,
        title=_t("Draft plan for the park", "Projet pour le parc", "Borrador del plan"),
        upload=validate_upload(_pdf()),
    )
    sections = [services.section_add(actor=admin, document=document, title=t) for t in SECTIONS]
    statements = [
        services.statement_add(actor=admin, consultation=consultation, text=text)
        for text in STATEMENTS
    ]
    services.consultation_publish(actor=admin, consultation=consultation)
    consultation.refresh_from_db()

    posted: list[Comment] = []
    for email, target, body in COMMENTS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        parent = posted[target] if isinstance(target, int) and target < len(posted) else None
        section = sections[2] if target == "lighting" else None
        posted.append(
            services.comment_post(
                actor=user, consultation=consultation, body=body, section=section, parent=parent
            )
        )
        cache.delete(f"consultations:comments:{user.pk}")  # demo posts do not count
    resident = User.objects.filter(email=RESIDENT2).first()
    if resident is not None:
        spam = services.comment_post(
            actor=resident,
            consultation=consultation,
            body="Best prices on garden furniture!!! Visit my shop today!!!",
        )
        cache.delete(f"consultations:comments:{resident.pk}")
        services.comment_hide(
            actor=admin, comment=spam, reason="Advertising is not allowed in comments."
        )
    _seed_votes(consultation, statements)
    services.opinion_map_recompute(consultation_id=consultation.pk)


def _seed_votes(consultation: Consultation, statements: list[Statement]) -> None:
    synthetic = synthetic_consultation(
        n_participants=160,
        n_statements=len(statements),
        n_groups=3,
        signature_per_group=3,
        votes_per_participant=(9, len(statements)),
        seed=7,
        id_mapper=lambda i: i,
    )
    participants = OpinionParticipant.objects.bulk_create(
        [OpinionParticipant(consultation=consultation) for _ in range(160)]
    )
    votes = [
        Vote(participant=participants[p], statement=statements[s], vote=int(v))
        for p, s, v in synthetic.votes.tolist()
    ]
    Vote.objects.bulk_create(votes, batch_size=2000)
    audit_record(
        actor=None,
        action="consultations.demo.votes_generated",
        obj=consultation,
        data={"participants": len(participants), "votes": len(votes), "seed": 7},
    )


@transaction.atomic
def _seed_cycle_lanes(admin: User, agency: Agency) -> None:
    now = timezone.now()
    consultation = services.consultation_create(
        actor=admin,
        agency=agency,
        data=ConsultationData(
            title=CYCLE,
            summary=_t(
                "Where should the new cycle lanes around the harbour go?",
                "Où faut-il tracer les nouvelles pistes cyclables autour du port ?",
                "¿Por dónde deberían ir los nuevos carriles bici del puerto?",
            ),
            body=_t(
                "We asked which streets need a protected cycle lane first.",
                "Nous avons demandé quelles rues ont le plus besoin d'une piste protégée.",
                "Preguntamos qué calles necesitan antes un carril protegido.",
            ),
            opens_at=now - datetime.timedelta(days=60),
            closes_at=now + datetime.timedelta(days=1),
            participation=Consultation.Participation.EVERYONE,
            allow_anonymous=True,
        ),
    )
    route = services.question_save(
        actor=admin,
        consultation=consultation,
        data=QuestionData(
            kind=Kind.SINGLE,
            label=_t(
                "Which street needs a cycle lane first?",
                "Quelle rue a le plus besoin d'une piste cyclable ?",
                "¿Qué calle necesita antes un carril bici?",
            ),
            options=[
                _t("Quay Road", "Route du Quai", "Calle del Muelle"),
                _t("Station Avenue", "Avenue de la Gare", "Avenida de la Estación"),
                _t("Lighthouse Lane", "Chemin du Phare", "Camino del Faro"),
            ],
        ),
    )
    safe = services.question_save(
        actor=admin,
        consultation=consultation,
        data=QuestionData(
            kind=Kind.SCALE,
            label=_t(
                "I feel safe cycling around the harbour today.",
                "Je me sens en sécurité à vélo autour du port aujourd'hui.",
                "Hoy me siento seguro en bici por el puerto.",
            ),
        ),
    )
    services.consultation_publish(actor=admin, consultation=consultation)
    # Demo history: it closed two weeks ago.
    Consultation.objects.filter(pk=consultation.pk).update(
        closes_at=now - datetime.timedelta(days=14)
    )
    consultation.refresh_from_db()
    rng = random.Random(11)
    values = [o["value"] for o in route.options]
    day = (now - datetime.timedelta(days=20)).replace(hour=0, minute=0, second=0, microsecond=0)
    Response.objects.bulk_create(
        [
            Response(
                consultation=consultation,
                anonymous=True,
                answers={
                    route.key: rng.choices(values, weights=[5, 3, 2])[0],
                    safe.key: rng.choices([1, 2, 3, 4, 5], weights=[4, 5, 2, 1, 1])[0],
                },
                submitted_at=day,
                updated_at=day,
            )
            for _ in range(48)
        ]
    )
    audit_record(
        actor=None,
        action="consultations.demo.responses_generated",
        obj=consultation,
        data={"responses": 48, "seed": 11},
    )
    services.consultation_close(actor=admin, consultation=consultation)
    services.consultation_outcome_publish(
        actor=admin,
        consultation=consultation,
        outcome=_t(
            "You told us Quay Road comes first, and most of you do not feel safe cycling "
            "there today. We are building a protected lane on Quay Road this summer, and "
            "Station Avenue next year.",
            "Vous nous avez dit que la route du Quai passe en premier, et la plupart d'entre "
            "vous ne s'y sentent pas en sécurité à vélo. Nous y construisons une piste "
            "protégée cet été, puis avenue de la Gare l'an prochain.",
            "Nos dijeron que la calle del Muelle es lo primero, y la mayoría no se siente "
            "segura en bici allí. Construiremos un carril protegido este verano, y en la "
            "avenida de la Estación el año que viene.",
        ),
    )
