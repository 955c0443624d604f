"""The directory behind 敲门: neighbours by display name, and the committee list."""

from tests.community.conftest import bearer


def people(api, person, query: str):
    return api.get(f"/api/v1/people?{query}", headers=bearer(person))


def test_a_neighbour_is_found_by_part_of_the_display_name(api, cast):
    found = people(api, cast.resident, f"q={cast.neighbour.display_name[-3:]}").json()
    assert cast.neighbour.pk in {p["id"] for p in found}


def test_the_directory_shows_what_rooms_show_and_nothing_more(api, cast):
    found = people(api, cast.resident, f"q={cast.party_member.display_name}").json()
    assert found == [
        {
            "id": cast.party_member.pk,
            "display_name": cast.party_member.display_name,
            "role": "resident",
            "badges": ["party"],
        }
    ]


def test_the_directory_stays_within_the_community_and_leaves_out_the_caller(api, cast):
    found = {p["id"] for p in people(api, cast.resident, "q=resident").json()}
    assert cast.outsider.pk not in found
    assert cast.resident.pk not in found


def test_the_committee_list_has_the_officials_only(api, cast):
    found = {p["id"] for p in people(api, cast.resident, "officials=true").json()}
    assert found == {cast.cadre.pk, cast.property.pk, cast.police.pk, cast.owners.pk}


def test_an_empty_search_finds_nobody(api, cast):
    assert people(api, cast.resident, "q=").json() == []


def test_observers_have_no_directory(api, cast):
    assert people(api, cast.observer, "officials=true").status_code == 403
