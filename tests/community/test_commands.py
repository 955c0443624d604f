"""The operator's commands: seed_demo, import_residents and person."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from community.identity import hash_id_number
from community.models import Community, InviteCode, Neighbourhood, Person, Role, Verification
from tests.community.conftest import new_id_number


@pytest.fixture(autouse=True)
def _in_a_scratch_directory(tmp_path, monkeypatch):
    """The commands write posters and sheets into the current directory by default."""
    monkeypatch.chdir(tmp_path)


def run(*args, **kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    return {
        "communities": Community.objects.count(),
        "neighbourhoods": Neighbourhood.objects.count(),
        "people": Person.objects.count(),
        "invites": InviteCode.objects.count(),
    }


# --- seed_demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_accounts():
    out, _err = run("seed_demo")
    assert Person.objects.get(username="cadre1").role == Role.CADRE
    assert Person.objects.get(username="moderator1").role == Role.MODERATOR
    assert Person.objects.filter(username__startswith="resident").count() == 20
    assert Person.objects.filter(party_member=True).count() == 5
    assert Person.objects.get(username="owners1").role == Role.OWNERS_COMMITTEE
    assert Person.objects.get(username="property1").role == Role.PROPERTY
    assert Person.objects.get(username="police1").role == Role.POLICE
    assert "cadre1" in out and "linli-demo" in out and "/join/" in out


@pytest.mark.django_db
def test_seed_demo_spreads_residents_over_both_neighbourhoods():
    run("seed_demo")
    residents = Person.objects.filter(username__startswith="resident")
    assert residents.values("neighbourhood").distinct().count() == 2
    assert all(p.building and p.room_number for p in residents)


@pytest.mark.django_db
def test_seed_demo_observer_watches_the_street():
    run("seed_demo")
    observer = Person.objects.get(username="observer1")
    assert observer.community is None and observer.observer_street.name == "友谊路街道"


@pytest.mark.django_db
def test_seed_demo_pending_applicant_went_through_do_apply():
    run("seed_demo")
    pending = Person.objects.get(username="pending1")
    assert pending.verification == Verification.PENDING
    assert len(pending.id_hash) == 64 and "*" in pending.id_masked


@pytest.mark.django_db
def test_seed_demo_accounts_log_in_with_the_password():
    run("seed_demo", password="another-pass-9")
    assert Person.objects.get(username="resident7").check_password("another-pass-9")
    assert Person.objects.get(username="pending1").check_password("another-pass-9")


@pytest.mark.django_db
def test_seed_demo_twice_creates_nothing_new_and_prints_the_table_again():
    run("seed_demo")
    before = counts()
    second, _err = run("seed_demo")
    assert counts() == before
    assert "resident20" in second and "0 new accounts" in second


# --- import_residents -------------------------------------------------------------------------

HEADER = (
    "username,display_name,real_name,id_number,phone,neighbourhood,building,unit,room,party_member"
)


def roster(tmp_path, *rows: str):
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_enrols_good_rows_as_verified_residents(cast, tmp_path):
    id1, id2 = new_id_number(), new_id_number()
    path = roster(
        tmp_path,
        f"wang,王阿姨,王秀英,{id1},13900000001,翠湖苑,1号楼,1单元,101,是",
        f"lishifu,李师傅,李建国,{id2},13900000002,江湾华庭,2号楼,,202,",
    )
    out, _err = run("import_residents", str(path), "--community", str(cast.community.pk))
    wang = Person.objects.get(username="wang")
    assert wang.verification == Verification.APPROVED and wang.party_member
    assert wang.neighbourhood == cast.garden and wang.id_hash == hash_id_number(id1)
    assert Person.objects.get(username="lishifu").neighbourhood == cast.court
    assert "imported 2 of 2 rows" in out


def test_import_stores_no_clear_id_or_phone(cast, tmp_path):
    id1 = new_id_number()
    path = roster(tmp_path, f"wang,王阿姨,王秀英,{id1},13900000001,翠湖苑,1号楼,1单元,101,")
    run("import_residents", str(path), "--community", str(cast.community.pk))
    row = " ".join(str(v) for v in Person.objects.filter(username="wang").values().get().values())
    assert id1 not in row and "13900000001" not in row


def test_import_reports_bad_rows_with_line_numbers_and_imports_the_rest(cast, tmp_path):
    good, dup = new_id_number(), new_id_number()
    cast.resident.id_hash = hash_id_number(dup)
    cast.resident.save()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    path = roster(
        tmp_path,
        f"ok1,甲,甲某,{good},13900000001,翠湖苑,1号楼,,101,",  # line 2
        f"bad3,乙,乙某,{bad_check},13900000002,翠湖苑,1号楼,,102,",  # line 3: check digit
        f"bad4,丙,丙某,{good},13900000003,翠湖苑,1号楼,,103,",  # line 4: duplicate in file
        f"bad5,丁,丁某,{dup},13900000004,翠湖苑,1号楼,,104,",  # line 5: already in community
        f"bad6,戊,戊某,{new_id_number()},13900000005,不存在小区,1号楼,,105,",  # line 6
        f"bad7,己,,{new_id_number()},13900000006,翠湖苑,1号楼,,106,",  # line 7: no real name
        f"bad8,庚,庚某,{new_id_number()},12345,翠湖苑,1号楼,,107,",  # line 8: bad phone
        f"resident,辛,辛某,{new_id_number()},13900000008,翠湖苑,1号楼,,108,",  # line 9: taken
        f"ok10,壬,壬某,{new_id_number()},13900000009,江湾华庭,2号楼,,201,",  # line 10
    )
    out, err = run("import_residents", str(path), "--community", str(cast.community.pk))
    for line, reason in [
        (3, "校验位"),
        (4, "前面"),
        (5, "本社区"),
        (6, "不存在小区"),
        (7, "real_name"),
        (8, "手机"),
        (9, "用户名"),
    ]:
        assert any(f"line {line}:" in r and reason in r for r in err.splitlines()), (line, err)
    assert "line 2:" not in err and "line 10:" not in err
    assert set(
        Person.objects.filter(username__in=["ok1", "ok10"]).values_list("username", flat=True)
    ) == {"ok1", "ok10"}
    assert not Person.objects.filter(username__startswith="bad").exists()
    assert "imported 2 of 9 rows; 7 bad rows skipped" in out


def test_import_dry_run_imports_nothing(cast, tmp_path):
    path = roster(tmp_path, f"wang,王阿姨,王秀英,{new_id_number()},13900000001,翠湖苑,1号楼,,101,")
    out, _err = run(
        "import_residents", str(path), "--community", str(cast.community.pk), "--dry-run"
    )
    assert not Person.objects.filter(username="wang").exists()
    assert "would import 1 of 1 rows" in out


def test_import_refuses_a_file_without_the_required_columns(cast, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("username,phone\nwang,13900000001\n", encoding="utf-8")
    with pytest.raises(CommandError, match="id_number"):
        run("import_residents", str(path), "--community", str(cast.community.pk))


def test_the_person_command_deactivates_through_the_action(cast):
    run("person", cast.resident.username, "--deactivate")
    cast.resident.refresh_from_db()
    assert cast.resident.is_active is False


def test_the_person_command_moves_a_person_and_their_rooms(cast):
    run("person", cast.resident.username, "--move", str(cast.court.pk))
    rooms = set(cast.resident.memberships.values_list("room__name", flat=True))
    assert "江湾华庭小区群" in rooms and "翠湖苑小区群" not in rooms


def test_the_person_command_gives_a_role_and_its_rooms(cast):
    run("person", cast.resident.username, "--role", "police", "--party", "yes")
    rooms = set(cast.resident.memberships.values_list("room__name", flat=True))
    assert {"五位一体协调群", "党员群"} <= rooms


def test_the_person_command_refuses_an_unknown_person(db):
    with pytest.raises(CommandError):
        run("person", "nobody")


def test_import_refuses_display_names_the_text_rules_refuse(cast, tmp_path):
    path = roster(
        tmp_path,
        f"esc,\x1b[31m红,王秀英,{new_id_number()},13900000001,翠湖苑,1号楼,,101,",
        f"blank,\u3164\u200b,李建国,{new_id_number()},13900000002,翠湖苑,1号楼,,102,",
    )
    _out, err = run("import_residents", str(path), "--community", str(cast.community.pk))
    assert "line 2:" in err and "line 3:" in err
    assert not Person.objects.filter(username__in=["esc", "blank"]).exists()
