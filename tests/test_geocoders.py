"""The geopy-facing geocoders: offline over the default gazetteer, online against a real local server."""

from __future__ import annotations

import pytest
from geopy.location import Location
from geopy.point import Point

from geomap.errors import GeocoderError, UsageError
from geomap.gazetteer import Gazetteer
from geomap.geocoders import OfflineGeocoder, location_to_place, online_geocoder, place_to_location
from geomap.models import Place
from geomap.resolve import rank_query
from tests.helpers import StandInNominatim


@pytest.fixture(scope="module")
def offline(gazetteer: Gazetteer) -> OfflineGeocoder:
    return OfflineGeocoder(gazetteer)


def loc(result: object) -> Location:
    assert isinstance(result, Location), result
    return result


# --------------------------------------------------------------------------- offline


def test_lima_ohio_is_in_ohio(offline: OfflineGeocoder) -> None:
    lima = loc(offline.geocode("Lima, Ohio"))
    assert lima.raw["admin1"] == "Ohio" and lima.raw["country_code"] == "US"
    assert lima.address == "Lima, Ohio, United States"
    assert 40 < lima.latitude < 41.5 and -85 < lima.longitude < -83


QUALIFIED = pytest.mark.parametrize(
    ("query", "country", "admin1"),
    [("Lima, Peru", "PE", None), ("Lima, PE", "PE", None), ("Lima, OH", "US", "Ohio"), ("Lima", "PE", None),
     ("Yonkers, New York, United States", "US", "New York"), ("Yonkers, NY", "US", "New York"),
     ("Atlanta, Georgia", "US", "Georgia"), ("Tbilisi, Georgia", "GE", None), ("Paris, TX", "US", "Texas"),
     ("Springfield, Illinois, US", "US", "Illinois"), ("Yonkers, Qwzxvplk", "US", "New York")],
)  # fmt: skip


@QUALIFIED
def test_qualifier_filters_and_ranks(offline: OfflineGeocoder, query: str, country: str, admin1: str | None) -> None:
    raw = loc(offline.geocode(query)).raw
    assert raw["country_code"] == country
    if admin1:
        assert raw["admin1"] == admin1


@QUALIFIED
def test_geomap_geocode_reads_qualifiers_as_the_geopy_geocoder_does(
    gazetteer: Gazetteer, query: str, country: str, admin1: str | None
) -> None:
    """One reading of "Name, Region, Country" (geomap.qualifiers): `geomap geocode` ranks with the resolver."""
    place, _ = rank_query(query, gazetteer)[0]
    assert place.country_code == country
    if admin1:
        assert place.admin1 == admin1


def test_qualifier_that_excludes_every_place_finds_nothing(offline: OfflineGeocoder) -> None:
    assert offline.geocode("Yonkers, Peru") is None


def test_unknown_qualifier_is_ignored(offline: OfflineGeocoder) -> None:
    assert loc(offline.geocode("Yonkers, Qwzxvplk")).raw["name"] == "Yonkers"


def test_not_found_and_empty(offline: OfflineGeocoder) -> None:
    assert offline.geocode("Qwzxvplk") is None
    assert offline.geocode("") is None
    assert offline.geocode(" , ") is None
    assert offline.geocode("Qwzxvplk", exactly_one=False) is None


def test_exactly_one_false_returns_a_limited_list(offline: OfflineGeocoder) -> None:
    many = offline.geocode("Lima", exactly_one=False)
    assert isinstance(many, list) and len(many) > 3
    three = offline.geocode("Lima", exactly_one=False, limit=3)
    assert isinstance(three, list) and [x.raw["id"] for x in three] == [x.raw["id"] for x in many[:3]]


def test_country_codes_restrict_like_nominatim(offline: OfflineGeocoder) -> None:
    assert loc(offline.geocode("Lima", country_codes="us")).raw["admin1"] == "Ohio"
    both = offline.geocode("Lima", exactly_one=False, country_codes=["US", "AR"])
    assert isinstance(both, list) and {x.raw["country_code"] for x in both} == {"US", "AR"}
    assert offline.geocode("Lima, Peru", country_codes="US") is None


def test_geopy_keyword_options_are_accepted(offline: OfflineGeocoder) -> None:
    assert loc(offline.geocode("Baku", timeout=5, language="en")).raw["country_code"] == "AZ"


def test_non_text_query_is_a_usage_error(offline: OfflineGeocoder) -> None:
    with pytest.raises(UsageError):
        offline.geocode({"city": "Lima"})  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["40.9312, -73.8987", (40.9312, -73.8987), Point(40.9312, -73.8987)])
def test_reverse_accepts_geopy_query_forms(offline: OfflineGeocoder, query: object) -> None:
    found = loc(offline.reverse(query))
    assert found.raw["name"] == "Yonkers" and found.raw["admin1"] == "New York"
    listed = offline.reverse(query, exactly_one=False)
    assert isinstance(listed, list) and listed[0].raw == found.raw


def test_reverse_far_from_anything_and_bad_input(offline: OfflineGeocoder) -> None:
    assert offline.reverse("0, -30") is None
    with pytest.raises(UsageError):
        offline.reverse("not a point")


def test_place_location_round_trip() -> None:
    place = Place(id="gn:1", name="Lima", lat=40.74, lon=-84.1, feature="city", country_code="US",
                  country="United States", admin1="Ohio", admin1_code="OH", population=37873)  # fmt: skip
    location = place_to_location(place)
    assert location.address == "Lima, Ohio, United States"
    assert (location.latitude, location.longitude) == (40.74, -84.1)
    assert location_to_place(location, "offline") == place


# --------------------------------------------------------------------------- online, against a local server


def make_online(domain: str):  # type: ignore[no-untyped-def]
    return online_geocoder(
        "nominatim",
        domain=domain,
        scheme="http",
        timeout=5,
        min_delay_seconds=0,
        max_retries=1,
        error_wait_seconds=0,
    )


def test_online_geocode_through_real_http(nominatim: StandInNominatim) -> None:
    geocoder = make_online(nominatim.domain)
    location = loc(geocoder.geocode("Lima, Ohio"))
    assert location.address == "Lima, Allen County, Ohio, United States"
    place = location_to_place(location, "nominatim")
    expected = Place(
        id="nominatim:R182706", name="Lima", lat=40.7425, lon=-84.1052, feature="city",
        country_code="US", country="United States", admin1="Ohio", source="nominatim",
    )  # fmt: skip
    assert place == expected
    assert geocoder.place("Lima, Ohio") == place
    assert "Lima, Ohio" in nominatim.asked()


def test_online_not_found_is_none(nominatim: StandInNominatim) -> None:
    geocoder = make_online(nominatim.domain)
    assert geocoder.geocode("Qwzxvplk") is None
    assert geocoder.place("Qwzxvplk") is None


def test_online_failure_is_a_geocoder_error_after_retries(nominatim: StandInNominatim) -> None:
    geocoder = make_online(nominatim.domain)
    nominatim.failing = True
    with pytest.raises(GeocoderError, match="nominatim"):
        geocoder.geocode("Lima, Ohio")
    assert nominatim.asked() == ["Lima, Ohio", "Lima, Ohio"]  # 1 try + 1 retry


def test_online_reverse(nominatim: StandInNominatim) -> None:
    found = loc(make_online(nominatim.domain).reverse("40.74, -84.10"))
    assert location_to_place(found, "nominatim").admin1 == "Ohio"


def test_online_bad_configuration_fails_at_construction() -> None:
    with pytest.raises(UsageError, match="unknown geocoding service"):
        online_geocoder("no-such-service")
    with pytest.raises(UsageError, match="cannot configure"):
        online_geocoder("nominatim", no_such_option=1)
