"""Synthetic residents for load tests and benchmarks (``manage.py generate_population``).

Fast because it skips the per-row service path on purpose:

* rows are written with ``bulk_create`` in batches, one transaction per batch (short write
  locks on SQLite, bounded memory), instead of ``user_create`` for each resident;
* every resident gets the SAME Argon2 password hash, computed once: hashing is deliberately
  slow (Django's Argon2 settings cost about 0.3 s of CPU per hash), so 100,000 distinct
  hashes would take hours. The accounts are synthetic; the shared password is documented;
* there is ONE audit entry for the whole generation (``accounts.population.generated``, with
  the id range, count and seed) instead of one ``accounts.user.created`` per row: 100,000
  entries in the hash chain would describe nothing a reviewer could use and would make the
  chain verification of a test database dominated by fake data. If the run stops early
  (error, Ctrl-C), the entry still records what was committed (``complete: false``).

Realism: names, addresses and phone numbers come from Faker's en_GB, fr_FR and es_ES
locales; ages follow a plausible adult distribution; residents are spread unevenly over the
district areas; a minority (about 14%) declare accessibility needs.

Uniqueness across runs: every generated resident has a serial number, continued from the
last generated resident in the database. The email address and the national ID are derived
from it, so running the command again adds fresh residents and never collides.
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from ecitizen.accounts.models import Profile, User
from ecitizen.accounts.selectors import national_id_hash
from ecitizen.audit.services import audit_record
from ecitizen.core.models import Area

EMAIL_DOMAIN = "residents.ecitizen.example"  # reserved (.example): never a real mailbox
DEFAULT_PASSWORD = "eCitizen synthetic resident passphrase"  # noqa: S105 (synthetic data)
TOWN = "Metropolis"

# (Faker locale, language, share of residents)
LOCALES = [("en_GB", "en", 0.55), ("fr_FR", "fr", 0.30), ("es_ES", "es", 0.15)]
# Age bands (years) with the share of the adult population in each.
AGE_BANDS = [((18, 29), 0.19), ((30, 44), 0.25), ((45, 59), 0.25), ((60, 74), 0.20),
             ((75, 99), 0.11)]  # fmt: skip
ACCESSIBILITY_SHARE = 0.14
ACCESSIBILITY_WEIGHTS = {
    Profile.Accessibility.LARGE_TEXT: 35,
    Profile.Accessibility.PHONE_CONTACT: 25,
    Profile.Accessibility.EASY_READ: 20,
    Profile.Accessibility.IN_PERSON: 15,
    Profile.Accessibility.SCREEN_READER: 12,
    Profile.Accessibility.SIGN_LANGUAGE: 5,
}
NOTES = {
    "en": ["Please call after 10am.", "My daughter helps me with forms.",
           "Step-free access needed."],
    "fr": ["Merci d'appeler après 10 h.", "Ma fille m'aide pour les formulaires.",
           "Accès de plain-pied nécessaire."],
    "es": ["Llamen después de las 10.", "Mi hija me ayuda con los formularios.",
           "Necesito acceso sin escalones."],
}  # fmt: skip
LAST_NAME_POOL = 5000
STREET_POOL = 20000  # several households per building address at 100,000 residents
FLAT = {"en": "Flat {}", "fr": "Appartement {}", "es": "Piso {}"}

# National IDs: "EC" + 9 digits + 2 check digits (97 - n mod 97). The 9 digits are an
# affine bijection of the serial modulo 10^9 (3^18 is coprime with 10), so distinct serials
# give distinct IDs that do not look sequential.
_ID_MULTIPLIER = 387_420_489
_ID_OFFSET = 104_729_357
_ID_MODULUS = 10**9


def national_id_for(serial: int) -> str:
    digits = (serial * _ID_MULTIPLIER + _ID_OFFSET) % _ID_MODULUS
    return f"EC{digits:09d}{97 - digits % 97:02d}"


def email_for(first_name: str, last_name: str, serial: int) -> str:
    local = f"{slugify(first_name)}.{slugify(last_name)}".strip(".-") or "resident"
    return f"{local[:40]}.{serial}@{EMAIL_DOMAIN}"


def _serial_of(email: str) -> int:
    try:
        return int(email.split("@", 1)[0].rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return 0


def last_serial() -> int:
    """Serial of the most recently generated resident (0 if none)."""
    last = (
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
        .order_by("-id")
        .values_list("email", flat=True)
        .first()
    )
    return _serial_of(last) if last else 0


@dataclass
class PopulationResult:
    created: int = 0
    requested: int = 0
    seed: int = 0
    first_serial: int = 0
    last_serial: int = 0
    first_user_id: int | None = None
    last_user_id: int | None = None
    seconds: float = 0.0
    by_language: dict[str, int] = field(default_factory=dict)
    with_accessibility_needs: int = 0

    @property
    def rate(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


class _Generator:
    def __init__(self, *, seed: int, districts: list[Area], pool_size: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        self.last_names: dict[str, list[str]] = {}
        self.streets: dict[str, list[str]] = {}
        for index, (locale, language, share) in enumerate(LOCALES):
            faker = Faker(locale)
            faker.seed_instance(seed * 31 + index)
            self.fakers[language] = faker
            # Faker's en_GB surnames (also used in street names) are a slow weighted draw
            # (~75 us): draw pools once, with Faker's weights, and pick from them uniformly.
            self.last_names[language] = [faker.last_name() for _ in range(LAST_NAME_POOL)]
            self.streets[language] = [
                faker.street_address() for _ in range(min(STREET_POOL, int(pool_size * share) + 1))
            ]
        self.languages = [language for _, language, _ in LOCALES]
        self.language_weights = [share for _, _, share in LOCALES]
        self.districts = districts
        # Uneven but stable spread over districts (bigger and smaller neighbourhoods).
        self.district_weights = [1.0 + ((i * 7) % 5) * 0.5 for i in range(len(districts))]
        self.needs = list(ACCESSIBILITY_WEIGHTS)
        self.need_weights = list(ACCESSIBILITY_WEIGHTS.values())
        self.today = timezone.localdate()
        self.now = timezone.now()

    def date_of_birth(self) -> datetime.date:
        ((low, high),) = self.rng.choices([b for b, _ in AGE_BANDS], [w for _, w in AGE_BANDS])
        days = self.rng.randint(low * 365 + 1, (high + 1) * 365 - 1)
        return self.today - datetime.timedelta(days=days)

    def street(self, language: str) -> tuple[str, str]:
        # en_GB sometimes puts a flat/studio line first, separated by a newline.
        *rest, line1 = self.rng.choice(self.streets[language]).split("\n")
        line2 = ", ".join(rest)
        if not line2 and self.rng.random() < 0.18:
            line2 = FLAT[language].format(self.rng.randint(1, 60))
        return line1, line2

    def resident(self, serial: int, password_hash: str) -> tuple[User, Profile]:
        rng = self.rng
        locale_language = rng.choices(self.languages, self.language_weights)[0]
        faker = self.fakers[locale_language]
        first_name = faker.first_name()
        last_name = rng.choice(self.last_names[locale_language])
        line1, line2 = self.street(locale_language)
        # Most people prefer the language of their locale; some prefer another one.
        language = locale_language if rng.random() < 0.9 else rng.choice(self.languages)
        needs: list[str] = []
        notes = ""
        if rng.random() < ACCESSIBILITY_SHARE:
            count = rng.choices([1, 2, 3], [75, 20, 5])[0]
            while len(needs) < count:
                need = str(rng.choices(self.needs, self.need_weights)[0])
                if need not in needs:
                    needs.append(need)
            if rng.random() < 0.3:
                notes = rng.choice(NOTES[language])
        user = User(
            email=email_for(first_name, last_name, serial),
            password=password_hash,
            is_active=True,
            date_joined=self.now - datetime.timedelta(seconds=rng.randint(0, 4 * 365 * 86400)),
        )
        national_id = national_id_for(serial)
        profile = Profile(
            legal_name=f"{first_name} {last_name}",
            date_of_birth=self.date_of_birth(),
            national_id=national_id,  # encrypted by the field on insert
            national_id_hash=national_id_hash(national_id),
            phone=faker.phone_number() if rng.random() < 0.85 else "",
            address_line1=line1,
            address_line2=line2,
            town=TOWN,
            postcode=faker.postcode(),
            area=rng.choices(self.districts, self.district_weights)[0],
            preferred_language=language,
            accessibility_needs=needs,
            accessibility_notes=notes,
        )
        return user, profile


def districts_for_population() -> list[Area]:
    districts = list(Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("code"))
    if not districts:
        from ecitizen.core.demo import seed_reference_data

        seed_reference_data()
        districts = list(Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("code"))
    return districts


def population_generate(
    *,
    count: int,
    seed: int | None = None,
    batch_size: int = 5000,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[PopulationResult], None] | None = None,
) -> PopulationResult:
    """Add ``count`` synthetic residents (user, verified email, profile) in batches.

    Each batch commits on its own; one audit entry records the whole generation, written
    even if the run stops part-way (then with ``complete: false``).
    """
    if count < 1 or batch_size < 1:
        raise ValueError("count and batch_size must be positive")
    seed = random.SystemRandom().randrange(1, 2**31) if seed is None else seed
    started = time.perf_counter()
    generator = _Generator(seed=seed, districts=districts_for_population(), pool_size=count)
    password_hash = make_password(password)  # ONE Argon2 hash, shared (see module doc)
    result = PopulationResult(requested=count, seed=seed)
    serial = last_serial()
    result.first_serial = serial + 1
    try:
        while result.created < count:
            size = min(batch_size, count - result.created)
            pairs: list[tuple[User, Profile]] = []
            while len(pairs) < size:
                serial += 1
                pairs.append(generator.resident(serial, password_hash))
            # A national ID typed in by a real person could match a generated one: skip those.
            taken = set(
                Profile.objects.filter(
                    national_id_hash__in=[p.national_id_hash for _, p in pairs]
                ).values_list("national_id_hash", flat=True)
            )
            if taken:
                pairs = [(u, p) for u, p in pairs if p.national_id_hash not in taken]
            _insert_batch(pairs)
            result.created += len(pairs)
            result.last_serial = serial
            result.first_user_id = result.first_user_id or pairs[0][0].pk
            result.last_user_id = pairs[-1][0].pk
            for _, profile in pairs:
                language = profile.preferred_language
                result.by_language[language] = result.by_language.get(language, 0) + 1
                result.with_accessibility_needs += bool(profile.accessibility_needs)
            result.seconds = time.perf_counter() - started
            if progress:
                progress(result)
    finally:
        result.seconds = time.perf_counter() - started
        if result.created:
            audit_record(
                actor=None,
                action="accounts.population.generated",
                data=_audit_data(result, batch_size),
            )
    return result


@transaction.atomic
def _insert_batch(pairs: list[tuple[User, Profile]]) -> None:
    users = User.objects.bulk_create([user for user, _ in pairs])
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
    )
    for user, profile in pairs:
        profile.user = user
    Profile.objects.bulk_create([profile for _, profile in pairs])


def _audit_data(result: PopulationResult, batch_size: int) -> dict[str, Any]:
    return {
        "created": result.created,
        "requested": result.requested,
        "complete": result.created == result.requested,
        "seed": result.seed,
        "serials": [result.first_serial, result.last_serial],
        "user_ids": [result.first_user_id, result.last_user_id],
        "email_domain": EMAIL_DOMAIN,
        "batch_size": batch_size,
        "seconds": round(result.seconds, 2),
        "shared_password_hash": True,
    }
