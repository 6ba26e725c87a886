"""Demo participatory budgets (run by ``manage.py seed_demo``; idempotent).

* "City budget 2026" is in its voting phase: a city-wide budget (approval ballots that must
  fit the budget, at most 5 projects, Method of Equal Shares) and a Riverside budget
  (10 points to share out, greedy, voters aged 16 or over). The demo residents can vote.
  One paper ballot waits for its second entry, so staff can try the double entry.
* "City budget 2025" is finished: 1,500 synthetic ballots (generated here from three groups
  of voters with different priorities, never from a real election), counted with the Method
  of Equal Shares, and implementation updates with progress, milestones and photos.

Projects are created as rows (as a finished review would leave them); votes go through the
real services where a person would act (closing, counting, updates), and the synthetic
ballots are written as anonymous ballots, like an import.
"""

import datetime
import logging
import random
import struct
import zlib
from typing import TypedDict

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ecitizen.accounts.models import User
from ecitizen.applications.uploads import validate_upload
from ecitizen.budgeting.models import BallotContent, Budget, Milestone, Process, Project
from ecitizen.budgeting.services import (
    budget_close,
    budget_save,
    budget_tally,
    implementation_update_post,
    milestone_save,
    paper_ballot_enter,
    process_save,
)
from ecitizen.core.models import Agency, Area

log = logging.getLogger("ecitizen.budgeting")
DAY = datetime.timedelta(days=1)
ADMIN = "agency-admin@demo.ecitizen.example"
OFFICER = "officer@demo.ecitizen.example"

T = dict[str, str]

VOTING_PROJECTS: list[tuple[T, T, int]] = [
    (
        {
            "en": "Night buses to the Harbour",
            "fr": "Bus de nuit vers le Port",
            "es": "Autobuses nocturnos al Puerto",
        },
        {
            "en": "Two night bus lines on Fridays and Saturdays, for a year.",
            "fr": "Deux lignes de bus de nuit le vendredi et le samedi, pendant un an.",
            "es": "Dos líneas de autobús nocturno los viernes y sábados, durante un año.",
        },
        250_000,
    ),
    (
        {
            "en": "Shade trees along Market Street",
            "fr": "Arbres d'ombrage rue du Marché",
            "es": "Árboles de sombra en la calle del Mercado",
        },
        {
            "en": "Forty trees to cool the busiest shopping street in summer.",
            "fr": "Quarante arbres pour rafraîchir la rue commerçante la plus fréquentée.",
            "es": "Cuarenta árboles para refrescar la calle comercial más concurrida.",
        },
        120_000,
    ),
    (
        {
            "en": "Free Wi-Fi in parks",
            "fr": "Wi-Fi gratuit dans les parcs",
            "es": "Wi-Fi gratuito en los parques",
        },
        {
            "en": "Free internet access in the five largest parks.",
            "fr": "Un accès internet gratuit dans les cinq plus grands parcs.",
            "es": "Acceso gratuito a internet en los cinco parques más grandes.",
        },
        60_000,
    ),
    (
        {
            "en": "Benches and toilets in Riverside Park",
            "fr": "Bancs et toilettes au parc du Bord-de-Rivière",
            "es": "Bancos y aseos en el parque de la Ribera",
        },
        {
            "en": "Thirty benches and an accessible public toilet.",
            "fr": "Trente bancs et des toilettes publiques accessibles.",
            "es": "Treinta bancos y un aseo público accesible.",
        },
        90_000,
    ),
    (
        {
            "en": "Youth music studio",
            "fr": "Studio de musique pour les jeunes",
            "es": "Estudio de música juvenil",
        },
        {
            "en": "A free rehearsal and recording studio for people aged 12 to 25.",
            "fr": "Un studio de répétition et d'enregistrement gratuit pour les 12-25 ans.",
            "es": "Un estudio de ensayo y grabación gratuito para personas de 12 a 25 años.",
        },
        180_000,
    ),
    (
        {
            "en": "Rain gardens against flooding",
            "fr": "Jardins de pluie contre les inondations",
            "es": "Jardines de lluvia contra las inundaciones",
        },
        {
            "en": "Planted basins that soak up storm water in the lower town.",
            "fr": "Des bassins plantés qui absorbent les eaux de pluie dans la ville basse.",
            "es": "Cuencas plantadas que absorben el agua de lluvia en la parte baja.",
        },
        220_000,
    ),
    (
        {
            "en": "Library open on Sundays",
            "fr": "Bibliothèque ouverte le dimanche",
            "es": "Biblioteca abierta los domingos",
        },
        {
            "en": "The central library opens every Sunday afternoon for two years.",
            "fr": "La bibliothèque centrale ouvre chaque dimanche après-midi pendant deux ans.",
            "es": "La biblioteca central abre cada domingo por la tarde durante dos años.",
        },
        150_000,
    ),
    (
        {
            "en": "Bike parking at stations",
            "fr": "Parkings à vélos dans les gares",
            "es": "Aparcamientos de bicicletas en las estaciones",
        },
        {
            "en": "Covered, secure bike parking at three stations.",
            "fr": "Des parkings à vélos couverts et sécurisés dans trois gares.",
            "es": "Aparcamientos de bicicletas cubiertos y seguros en tres estaciones.",
        },
        70_000,
    ),
]

RIVERSIDE_PROJECTS: list[tuple[T, T, int]] = [
    (
        {
            "en": "Lights on the footbridge",
            "fr": "Éclairage de la passerelle",
            "es": "Iluminación de la pasarela",
        },
        {
            "en": "LED lighting on the river footbridge.",
            "fr": "Un éclairage LED sur la passerelle.",
            "es": "Iluminación LED en la pasarela del río.",
        },
        60_000,
    ),
    (
        {
            "en": "Clean up the swimming spot",
            "fr": "Nettoyer le coin baignade",
            "es": "Limpiar la zona de baño",
        },
        {
            "en": "Clear the river bank and add a ladder.",
            "fr": "Dégager la berge et ajouter une échelle.",
            "es": "Despejar la orilla y poner una escalera.",
        },
        45_000,
    ),
    (
        {
            "en": "Outdoor table tennis",
            "fr": "Tables de ping-pong en plein air",
            "es": "Mesas de ping-pong al aire libre",
        },
        {
            "en": "Three concrete tables in the park.",
            "fr": "Trois tables en béton dans le parc.",
            "es": "Tres mesas de hormigón en el parque.",
        },
        15_000,
    ),
    (
        {"en": "Dog park", "fr": "Parc à chiens", "es": "Parque para perros"},
        {
            "en": "A fenced area where dogs can run free.",
            "fr": "Un espace clôturé pour les chiens.",
            "es": "Una zona vallada donde los perros corren libres.",
        },
        35_000,
    ),
    (
        {"en": "Community kitchen", "fr": "Cuisine de quartier", "es": "Cocina comunitaria"},
        {
            "en": "A shared kitchen for classes and neighbourhood meals.",
            "fr": "Une cuisine partagée pour des cours et des repas de quartier.",
            "es": "Una cocina compartida para clases y comidas vecinales.",
        },
        110_000,
    ),
]

# Finished process: (title, description, cost in euros, group of voters it appeals to)
FINISHED_PROJECTS: list[tuple[T, T, int, str]] = [
    (
        {
            "en": "Trees on Harbour Road",
            "fr": "Des arbres route du Port",
            "es": "Árboles en la carretera del Puerto",
        },
        {
            "en": "120 street trees.",
            "fr": "120 arbres d'alignement.",
            "es": "120 árboles de calle.",
        },
        120_000,
        "green",
    ),
    (
        {
            "en": "Riverside cycle lane",
            "fr": "Piste cyclable du Bord-de-Rivière",
            "es": "Carril bici de la Ribera",
        },
        {
            "en": "A protected 3 km cycle lane.",
            "fr": "Une piste protégée de 3 km.",
            "es": "Un carril protegido de 3 km.",
        },
        300_000,
        "mobility",
    ),
    (
        {
            "en": "Old Town playground",
            "fr": "Aire de jeux de la Vieille-Ville",
            "es": "Parque infantil del Casco Antiguo",
        },
        {
            "en": "New equipment, accessible to every child.",
            "fr": "De nouveaux jeux accessibles à tous.",
            "es": "Juegos nuevos accesibles para todos.",
        },
        90_000,
        "youth",
    ),
    (
        {
            "en": "Solar panels on the library",
            "fr": "Panneaux solaires sur la bibliothèque",
            "es": "Paneles solares en la biblioteca",
        },
        {
            "en": "Covers a third of its electricity.",
            "fr": "Un tiers de son électricité.",
            "es": "Un tercio de su electricidad.",
        },
        200_000,
        "green",
    ),
    (
        {
            "en": "Hillcrest skate park",
            "fr": "Skatepark du Haut-de-Colline",
            "es": "Skatepark de Colina Alta",
        },
        {
            "en": "A concrete skate park.",
            "fr": "Un skatepark en béton.",
            "es": "Un skatepark de hormigón.",
        },
        150_000,
        "youth",
    ),
    (
        {
            "en": "Safer crossings near schools",
            "fr": "Passages piétons sûrs près des écoles",
            "es": "Pasos seguros cerca de los colegios",
        },
        {
            "en": "Raised crossings at six schools.",
            "fr": "Des passages surélevés devant six écoles.",
            "es": "Pasos elevados en seis colegios.",
        },
        80_000,
        "mobility",
    ),
    (
        {"en": "Community garden", "fr": "Jardin partagé", "es": "Huerto comunitario"},
        {
            "en": "Forty plots for residents.",
            "fr": "Quarante parcelles pour les habitants.",
            "es": "Cuarenta parcelas para vecinos.",
        },
        40_000,
        "green",
    ),
    (
        {
            "en": "Public drinking fountains",
            "fr": "Fontaines d'eau potable",
            "es": "Fuentes de agua potable",
        },
        {
            "en": "Twelve fountains in squares and parks.",
            "fr": "Douze fontaines sur les places et dans les parcs.",
            "es": "Doce fuentes en plazas y parques.",
        },
        30_000,
        "all",
    ),
    (
        {
            "en": "Better bus shelters",
            "fr": "Abribus rénovés",
            "es": "Mejores marquesinas de autobús",
        },
        {
            "en": "Seats, shade and real-time displays at 25 stops.",
            "fr": "Sièges, ombre et écrans à 25 arrêts.",
            "es": "Asientos, sombra y pantallas en 25 paradas.",
        },
        180_000,
        "mobility",
    ),
    (
        {"en": "Open-air gym", "fr": "Salle de sport en plein air", "es": "Gimnasio al aire libre"},
        {
            "en": "Free fitness equipment in the park.",
            "fr": "Des agrès gratuits dans le parc.",
            "es": "Aparatos de gimnasia gratuitos en el parque.",
        },
        60_000,
        "youth",
    ),
]

UPDATES = [
    # status, progress, note
    (
        "completed",
        100,
        {
            "en": "Finished and open to everyone.",
            "fr": "Terminé et ouvert à tous.",
            "es": "Terminado y abierto a todos.",
        },
    ),
    (
        "in_progress",
        60,
        {
            "en": "Works are under way; most of the equipment is in place.",
            "fr": "Les travaux avancent ; l'essentiel de l'équipement est installé.",
            "es": "Las obras avanzan; la mayor parte del equipo está instalado.",
        },
    ),
    (
        "in_progress",
        25,
        {
            "en": "The contractor has started on site.",
            "fr": "L'entreprise a commencé le chantier.",
            "es": "La empresa ha empezado la obra.",
        },
    ),
    (
        "delayed",
        10,
        {
            "en": "Delayed: the supplier is late. New date in the spring.",
            "fr": "Retardé : le fournisseur a du retard. Nouvelle date au printemps.",
            "es": "Retrasado: el proveedor va con retraso. Nueva fecha en primavera.",
        },
    ),
]
MILESTONES = [
    {
        "en": "Design agreed with residents",
        "fr": "Projet validé avec les habitants",
        "es": "Diseño acordado con los vecinos",
    },
    {"en": "Contractor chosen", "fr": "Entreprise choisie", "es": "Empresa elegida"},
    {"en": "Opening", "fr": "Inauguration", "es": "Inauguración"},
]


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid-colour PNG (a stand-in photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _projects(budget: Budget, items: list[tuple[T, T, int]]) -> list[Project]:
    return [
        Project.objects.create(
            budget=budget,
            code=str(i),
            title=title,
            description=description,
            area=budget.area,
            estimated_cost=cost * 100,
            final_cost=cost * 100,
            status=Project.Status.ACCEPTED,
        )
        for i, (title, description, cost) in enumerate(items, start=1)
    ]


class _Dates(TypedDict):
    ideas_from: datetime.datetime
    review_from: datetime.datetime
    voting_from: datetime.datetime
    results_from: datetime.datetime
    implementation_from: datetime.datetime


def _dates(now: datetime.datetime, *days_ago: int) -> _Dates:
    """Phase starts, each given in days before now (negative: in the future)."""
    ideas, review, voting, results, implementation = (now - d * DAY for d in days_ago)
    return _Dates(
        ideas_from=ideas,
        review_from=review,
        voting_from=voting,
        results_from=results,
        implementation_from=implementation,
    )


@transaction.atomic
def seed_voting(agency: Agency, admin: User | None, officer: User | None) -> None:
    if Process.objects.filter(slug="city-budget-2026").exists():
        return
    now = timezone.now()
    process = process_save(
        actor=admin,
        agency=agency,
        slug="city-budget-2026",
        title={
            "en": "City budget 2026",
            "fr": "Budget participatif 2026",
            "es": "Presupuesto participativo 2026",
        },
        description={
            "en": "You decide how €1.25 million is spent: choose the projects you want for the "
            "whole city and for Riverside.",
            "fr": "Vous décidez comment dépenser 1,25 million d'euros : choisissez les projets "
            "pour toute la ville et pour le Bord-de-Rivière.",
            "es": "Usted decide cómo se gastan 1,25 millones de euros: elija los proyectos para "
            "toda la ciudad y para la Ribera.",
        },
        is_published=True,
        **_dates(now, 70, 45, 7, -21, -60),
    )
    city = budget_save(
        actor=admin,
        process=process,
        area=None,
        amount=1_000_000_00,
        currency="EUR",
        ballot_kind="approval",
        budget_limit=True,
        min_projects=1,
        max_projects=5,
        rule="equal-shares",
        minimum_age=0,
    )
    projects = _projects(city, VOTING_PROJECTS)
    Project.objects.create(
        budget=city,
        code="9",
        area=None,
        estimated_cost=12_000_000_00,
        title={
            "en": "Underground car park",
            "fr": "Parking souterrain",
            "es": "Aparcamiento subterráneo",
        },
        description={"en": "A car park under the main square."},
        status=Project.Status.REJECTED,
        status_reason={
            "en": "It would cost about €12 million, far more than the budget.",
            "fr": "Il coûterait environ 12 millions d'euros, bien plus que le budget.",
            "es": "Costaría unos 12 millones de euros, mucho más que el presupuesto.",
        },
    )
    Project.objects.create(
        budget=city,
        code="10",
        area=None,
        estimated_cost=50_000_00,
        title={
            "en": "More trees in the centre",
            "fr": "Plus d'arbres au centre",
            "es": "Más árboles en el centro",
        },
        description={"en": "Plant trees in the town centre."},
        status=Project.Status.MERGED,
        merged_into=projects[1],
        status_reason={
            "en": "The same idea as “Shade trees along Market Street”.",
            "fr": "La même idée que « Arbres d'ombrage rue du Marché ».",
            "es": "La misma idea que «Árboles de sombra en la calle del Mercado».",
        },
    )
    riverside = Area.objects.filter(code="riverside").first()
    if riverside is not None:
        district = budget_save(
            actor=admin,
            process=process,
            area=riverside,
            amount=250_000_00,
            currency="EUR",
            ballot_kind="cumulative",
            points_total=10,
            max_points_per_project=5,
            budget_limit=False,
            rule="greedy",
            minimum_age=16,
        )
        _projects(district, RIVERSIDE_PROJECTS)
    if officer is not None:
        paper_ballot_enter(
            actor=officer,
            budget=city,
            serial="A-0001",
            choice={projects[0].pk: 1, projects[3].pk: 1},
        )


def _synthetic_ballots(projects: list[Project], groups: list[str], n: int) -> list[list[int]]:
    """Voters in three groups with different priorities; each approves 2 to 5 projects."""
    rng = random.Random(2025)
    ballots = []
    by_group = {
        g: [p.pk for p, pg in zip(projects, groups, strict=True) if pg in (g, "all")]
        for g in ("green", "mobility", "youth")
    }
    everything = [p.pk for p in projects]
    for _ in range(n):
        group = rng.choices(["green", "mobility", "youth"], [45, 35, 20])[0]
        own = by_group[group]
        chosen = set(rng.sample(own, k=min(len(own), rng.randint(2, 3))))
        if rng.random() < 0.4:
            chosen.add(rng.choice(everything))
        ballots.append(sorted(chosen))
    return ballots


@transaction.atomic
def seed_finished(agency: Agency, admin: User | None) -> None:
    if Process.objects.filter(slug="city-budget-2025").exists():
        return
    now = timezone.now()
    process = process_save(
        actor=admin,
        agency=agency,
        slug="city-budget-2025",
        title={
            "en": "City budget 2025",
            "fr": "Budget participatif 2025",
            "es": "Presupuesto participativo 2025",
        },
        description={
            "en": "Residents chose how to spend €800,000. See the results and how the projects "
            "are going.",
            "fr": "Les habitants ont choisi comment dépenser 800 000 €. Voyez les résultats et "
            "l'avancement des projets.",
            "es": "Los vecinos eligieron cómo gastar 800.000 €. Vea los resultados y cómo avanzan "
            "los proyectos.",
        },
        is_published=True,
        **_dates(now, 420, 390, 360, 340, 330),
    )
    budget = budget_save(
        actor=admin,
        process=process,
        area=None,
        amount=800_000_00,
        currency="EUR",
        ballot_kind="approval",
        budget_limit=True,
        min_projects=1,
        rule="equal-shares",
    )
    projects = _projects(budget, [(t, d, c) for t, d, c, _g in FINISHED_PROJECTS])
    groups = [g for *_rest, g in FINISHED_PROJECTS]
    BallotContent.objects.bulk_create(
        [
            BallotContent(budget=budget, projects=ballot, source=BallotContent.Source.IMPORTED)
            for ballot in _synthetic_ballots(projects, groups, 1500)
        ],
        batch_size=1000,
    )
    budget_close(actor=admin, budget=budget)
    result = budget_tally(actor=admin, budget=budget)
    if admin is None:
        return
    funded = [p for p in projects if p.pk in result.selected]
    colours = [(46, 133, 64), (0, 94, 162), (216, 57, 51), (255, 190, 46)]
    for i, project in enumerate(funded):
        status, progress, note = UPDATES[i % len(UPDATES)]
        photo = SimpleUploadedFile(
            f"photo-{project.code}.png", _png(320, 200, colours[i % 4]), "image/png"
        )
        implementation_update_post(
            actor=admin,
            project=project,
            status=status,
            progress=progress,
            note=note,
            photos=[validate_upload(photo, allowed_types=["image/png"])],
            photo_descriptions=[f"Site of “{project}”"],
        )
        reached = progress // 40  # 0 to 2 milestones reached
        for j, title in enumerate(MILESTONES):
            milestone_save(
                actor=admin,
                project=project,
                title=title,
                planned_for=(now + (j * 60 - 90) * DAY).date(),
                reached_on=(now - (90 - j * 30) * DAY).date()
                if j < reached or progress == 100
                else None,
            )
    assert Milestone.objects.filter(project__budget=budget).exists() or not funded


def seed() -> None:
    agency = Agency.objects.filter(code="planning").first() or Agency.objects.first()
    if agency is None:
        log.warning("budgeting demo skipped: no agency (run the core demo first)")
        return
    admin = User.objects.filter(email=ADMIN).first()
    officer = User.objects.filter(email=OFFICER).first()
    seed_voting(agency, admin, officer)
    seed_finished(agency, admin)
