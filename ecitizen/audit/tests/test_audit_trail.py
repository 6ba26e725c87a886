"""The audit trail: every service write is recorded with who, what, when, from which request
and address, in a hash chain whose alteration, gaps and truncation ``audit_verify`` reports."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from ecitizen.accounts.models import StaffRole
from ecitizen.accounts.services import (
    ProfileData,
    profile_update,
    staff_role_grant,
    staff_role_revoke,
    user_create,
    user_set_language,
)
from ecitizen.accounts.tests.factories import AreaFactory, UserFactory
from ecitizen.audit.models import AuditEntry, AuditHead
from ecitizen.audit.services import audit_record, entry_digest
from ecitizen.core.models import Area
from ecitizen.core.services import agency_save, area_save

pytestmark = pytest.mark.django_db


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()  # type: ignore[return-value]


def assert_recent(entry: AuditEntry) -> None:
    assert timezone.now() - entry.created_at < datetime.timedelta(seconds=30)


class TestServicesWriteAuditEntries:
    def test_profile_update_records_actor_action_object_and_changed_fields(self, resident):
        profile = profile_update(
            actor=resident,
            profile=resident.profile,
            data=ProfileData(legal_name="Ada Lovelace", phone="+33 6 12 34 56 78"),
        )
        entry = last_entry()
        assert entry.actor_id == resident.pk and entry.actor_label == resident.email
        assert entry.action == "accounts.profile.updated"
        assert (entry.object_type, entry.object_id) == ("accounts.profile", str(profile.pk))
        assert entry.data == {"fields": ["legal_name", "phone"]}
        assert entry.on_behalf_of_id is None
        assert_recent(entry)

    def test_staff_editing_a_profile_is_recorded_as_on_behalf_of_the_resident(
        self, resident, officer
    ):
        profile_update(actor=officer, profile=resident.profile, data=ProfileData(town="Lyon"))
        entry = last_entry()
        assert (entry.actor_id, entry.on_behalf_of_id) == (officer.pk, resident.pk)

    def test_user_create_by_the_system(self):
        user = user_create(actor=None, email="New@Example.org", password=None)
        entry = last_entry()
        assert (entry.action, entry.object_id) == ("accounts.user.created", str(user.pk))
        assert entry.actor_id is None and entry.actor_label == "system"

    def test_language_change(self, resident):
        user_set_language(actor=resident, language="es")
        entry = last_entry()
        assert entry.action == "accounts.profile.language_changed"
        assert entry.data == {"language": "es"}

    def test_staff_role_grant_and_revoke(self, platform_admin):
        user = UserFactory()
        role = staff_role_grant(
            actor=platform_admin, user=user, role=StaffRole.Role.ASSISTED_SERVICE_AGENT
        )
        granted = last_entry()
        assert granted.action == "accounts.staff_role.granted"
        assert granted.actor_id == platform_admin.pk
        role_pk = role.pk
        staff_role_revoke(actor=platform_admin, staff_role=role)
        revoked = last_entry()
        assert revoked.action == "accounts.staff_role.revoked"
        assert revoked.object_id == str(role_pk)
        assert revoked.data == {"user": user.pk, "role": "assisted_service_agent", "agency": None}
        assert not StaffRole.objects.filter(pk=role_pk).exists()

    def test_granting_a_role_twice_records_it_once(self, platform_admin):
        user = UserFactory()
        before = AuditEntry.objects.count()
        for _ in range(2):
            staff_role_grant(actor=platform_admin, user=user, role=StaffRole.Role.PLATFORM_ADMIN)
        assert AuditEntry.objects.count() == before + 1

    def test_area_and_agency_create_and_update(self, platform_admin):
        region = area_save(actor=platform_admin, code="north", name="North", kind="region")
        created = last_entry()
        assert (created.action, created.object_id) == ("core.area.created", str(region.pk))
        area_save(actor=platform_admin, area=region, name="Northern Region")
        assert last_entry().action == "core.area.updated"
        district = AreaFactory()
        agency = agency_save(actor=platform_admin, code="tax", name="Tax", areas=[district])
        entry = last_entry()
        assert (entry.action, entry.object_type) == ("core.agency.created", "core.agency")
        assert entry.data == {"fields": ["areas", "code", "name"]}
        assert list(agency.areas.all()) == [district]
        agency_save(actor=platform_admin, agency=agency, phone="0102030405")
        assert last_entry().action == "core.agency.updated"

    def test_a_failed_write_records_nothing(self, platform_admin):
        region = area_save(actor=platform_admin, code="south", name="South", kind="region")
        before = AuditEntry.objects.count()
        with pytest.raises(Exception):  # noqa: B017 (a ValidationError: bad code)
            area_save(actor=platform_admin, code="not a slug!", name="X", parent=region)
        assert AuditEntry.objects.count() == before
        assert not Area.objects.filter(name="X").exists()


class TestRequestContext:
    def test_request_id_and_client_address_reach_the_entry(self, client, resident):
        client.force_login(resident)
        response = client.post(
            "/language/",
            {"language": "fr", "next": "/"},
            headers={"X-Request-ID": "req-0123456789abcdef"},
            REMOTE_ADDR="203.0.113.7",
        )
        assert response.status_code == 302
        assert response["X-Request-ID"] == "req-0123456789abcdef"
        entry = last_entry()
        assert entry.action == "accounts.profile.language_changed"
        assert entry.actor_id == resident.pk
        assert entry.request_id == "req-0123456789abcdef"
        assert entry.ip == "203.0.113.7"

    def test_a_malformed_request_id_is_replaced(self, client, resident):
        client.force_login(resident)
        response = client.post(
            "/language/", {"language": "es"}, headers={"X-Request-ID": "no spaces <allowed>"}
        )
        entry = last_entry()
        assert entry.request_id == response["X-Request-ID"]
        assert len(entry.request_id) == 32 and "<" not in entry.request_id

    def test_ipv6_address_is_stored_canonically_and_the_chain_still_verifies(
        self, client, resident
    ):
        client.force_login(resident)
        client.post("/language/", {"language": "fr"}, REMOTE_ADDR="2001:0DB8:0000:0000::0001")
        entry = AuditEntry.objects.get(pk=last_entry().pk)  # as the database gives it back
        assert entry.ip == "2001:db8::1"
        call_command("audit_verify", stdout=_Sink())

    def test_a_peer_that_is_not_an_ip_address_does_not_break_writes(self, client, resident):
        client.force_login(resident)
        response = client.post("/language/", {"language": "fr"}, REMOTE_ADDR="unix:/run/sock")
        assert response.status_code == 302
        assert last_entry().ip is None

    @override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_the_address_is_the_last_forwarded_hop(self, client, resident):
        client.force_login(resident)
        client.post(
            "/language/",
            {"language": "fr"},
            headers={"X-Forwarded-For": "192.0.2.66, 198.51.100.23"},  # first hop is spoofable
            REMOTE_ADDR="10.0.0.2",
        )
        assert last_entry().ip == "198.51.100.23"

    def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(self, client, resident):
        client.force_login(resident)
        client.post(
            "/language/",
            {"language": "fr"},
            headers={"X-Forwarded-For": "198.51.100.23"},
            REMOTE_ADDR="203.0.113.7",
        )
        assert last_entry().ip == "203.0.113.7"

    def test_outside_a_request_there_is_no_request_id_or_address(self, resident):
        entry = audit_record(actor=resident, action="tests.thing.done")
        assert (entry.request_id, entry.ip) == ("", None)


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


@pytest.fixture
def chain(resident) -> list[AuditEntry]:
    """Five entries in the chain (some written by the fixtures themselves before)."""
    for n in range(5):
        audit_record(actor=resident, action="tests.thing.done", data={"n": n, "é": "ü"})
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    return entries


def verify() -> str:
    out = _Sink()
    call_command("audit_verify", stdout=out)
    return out.text


class TestAuditVerify:
    def test_an_intact_chain_verifies(self, chain):
        assert f"{len(chain)} entries verified" in verify()

    def test_an_empty_trail_verifies(self):
        assert "0 entries verified" in verify()

    def test_reports_the_first_altered_entry(self, chain):
        second, fourth = chain[1], chain[3]
        AuditEntry.objects.filter(pk__in=[fourth.pk, second.pk]).update(data={"n": 99})
        with pytest.raises(CommandError, match=rf"#{second.seq}: the entry's content was altered"):
            verify()

    def test_reports_altered_metadata_too(self, chain):
        AuditEntry.objects.filter(pk=chain[2].pk).update(ip="198.51.100.1")
        with pytest.raises(CommandError, match=rf"#{chain[2].seq}\b"):
            verify()

    def test_reports_a_rewritten_hash_as_a_broken_link(self, chain):
        victim = chain[2]
        victim.action = "tests.thing.hidden"
        AuditEntry.objects.filter(pk=victim.pk).update(
            action=victim.action, entry_hash=entry_digest(victim)
        )
        with pytest.raises(CommandError, match=rf"#{chain[3].seq}: the link .* is broken"):
            verify()

    def test_reports_the_first_deleted_entry_in_the_middle(self, chain):
        middle = chain[len(chain) // 2]
        AuditEntry.objects.filter(pk__in=[middle.pk, chain[-2].pk]).delete()
        with pytest.raises(CommandError, match=rf"#{middle.seq} is missing"):
            verify()

    def test_reports_deleted_newest_entries(self, chain):
        AuditEntry.objects.filter(seq__gte=chain[-2].seq).delete()
        missing = rf"#{chain[-2].seq} to #{chain[-1].seq} are missing"
        with pytest.raises(CommandError, match=missing):
            verify()

    def test_truncation_stays_visible_after_later_writes(self, chain, resident):
        AuditEntry.objects.filter(seq=chain[-1].seq).delete()
        audit_record(actor=resident, action="tests.thing.after")
        with pytest.raises(CommandError, match=rf"#{chain[-1].seq} is missing"):
            verify()

    def test_reports_an_entry_appended_outside_the_service(self, chain):
        last = chain[-1]
        forged = AuditEntry(
            seq=last.seq + 1,
            created_at=timezone.now(),
            action="tests.thing.forged",
            prev_hash=last.entry_hash,
        )
        forged.entry_hash = entry_digest(forged)
        forged.save()
        with pytest.raises(CommandError, match=rf"#{forged.seq}: .*outside"):
            verify()

    def test_reports_a_deleted_chain_head(self, chain):
        AuditHead.objects.all().delete()
        with pytest.raises(CommandError, match="head is missing"):
            verify()

    def test_the_head_follows_every_append(self, chain):
        head = AuditHead.objects.get()
        assert (head.seq, head.entry_hash) == (chain[-1].seq, chain[-1].entry_hash)
