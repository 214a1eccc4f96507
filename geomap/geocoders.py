"""The geopy-facing side: an offline geocoder over the gazetteer, and rate-limited online providers.

`OfflineGeocoder` honours geopy's contract (`geocode`/`reverse` return None, a `Location` or a
list), so code written for geopy providers works with it. `place_to_location` and
`location_to_place` are the pure conversions between geopy's `Location` and geomap's `Place`;
geopy objects do not travel further than this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from geopy.exc import ConfigurationError, GeocoderNotFound, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service
from geopy.location import Location
from geopy.point import Point

from geomap import qualifiers
from geomap.errors import GeocoderError, UsageError
from geomap.gazetteer import Gazetteer
from geomap.models import Candidate, Feature, Place

if TYPE_CHECKING:
    from geomap.models import Lookup

GeocodeResult: TypeAlias = Location | list[Location] | None
DEFAULT_USER_AGENT = "geomap/0.1 (offline-first article mapper)"
_WIDE = 2000  # candidates fetched per name before qualifiers filter them

_PLACE_FIELDS = tuple(f.name for f in dataclasses.fields(Place))


def place_to_location(place: Place) -> Location:
    """A geopy `Location` for a place; `.raw` holds the Place's fields as a dict."""
    return Location(place.label, (place.lat, place.lon), dataclasses.asdict(place))


def location_to_place(location: Location, source: str) -> Place:
    """The Place an online provider's `Location` describes (Nominatim, Photon, or a geomap Location)."""
    raw: Mapping[str, Any] = location.raw if isinstance(location.raw, Mapping) else {}
    if all(name in raw for name in ("id", "name", "lat", "lon", "feature")):
        return Place(
            **{**{name: raw[name] for name in _PLACE_FIELDS if name in raw}, "feature": Feature.of(raw["feature"])}
        )
    props = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else None
    if props is not None:
        return _photon_place(location, props, source)
    return _nominatim_place(location, raw, source)


_OSM_FEATURES = {
    "country": "country", "state": "admin1", "province": "admin1", "region": "region",
    "state_district": "admin2", "county": "admin2", "city": "city", "town": "city", "village": "city",
    "hamlet": "city", "municipality": "city", "suburb": "city", "continent": "continent", "sea": "sea",
    "ocean": "ocean", "bay": "bay", "strait": "strait", "river": "river", "lake": "lake", "water": "lake",
    "peak": "mountain", "mountain_range": "mountain", "island": "island", "archipelago": "island",
    "peninsula": "peninsula",
}  # fmt: skip


def _nominatim_place(location: Location, raw: Mapping[str, Any], source: str) -> Place:
    address = raw.get("address") if isinstance(raw.get("address"), Mapping) else {}
    assert isinstance(address, Mapping)
    extratags = raw.get("extratags") if isinstance(raw.get("extratags"), Mapping) else {}
    assert isinstance(extratags, Mapping)
    kind = str(raw.get("addresstype") or raw.get("type") or "")
    feature = Feature.of(_OSM_FEATURES.get(kind, kind))
    if feature == Feature.CITY and str(extratags.get("capital", "")) in ("yes", "2"):
        feature = Feature.CAPITAL
    osm_type, osm_id = str(raw.get("osm_type") or ""), raw.get("osm_id")
    if osm_id is not None:
        place_id = f"{source}:{osm_type[:1].upper()}{osm_id}"
    elif raw.get("place_id") is not None:
        place_id = f"{source}:{raw['place_id']}"
    else:
        place_id = f"{source}:{location.latitude:.5f},{location.longitude:.5f}"
    return Place(
        id=place_id,
        name=str(raw.get("name") or location.address.split(",")[0]).strip(),
        lat=location.latitude,
        lon=location.longitude,
        feature=feature,
        country_code=str(address.get("country_code", "")).upper(),
        country=str(address.get("country", "")),
        admin1=str(address.get("state") or address.get("province") or address.get("region") or ""),
        population=_int(extratags.get("population")),
        source=source,
    )


def _photon_place(location: Location, props: Mapping[str, Any], source: str) -> Place:
    kind = str(props.get("type") or props.get("osm_value") or "")
    osm_type, osm_id = str(props.get("osm_type") or ""), props.get("osm_id")
    return Place(
        id=f"{source}:{osm_type[:1].upper()}{osm_id}" if osm_id is not None else f"{source}:{location.address}",
        name=str(props.get("name") or location.address.split(",")[0]).strip(),
        lat=location.latitude,
        lon=location.longitude,
        feature=Feature.of(_OSM_FEATURES.get(kind, kind)),
        country_code=str(props.get("countrycode", "")).upper(),
        country=str(props.get("country", "")),
        admin1=str(props.get("state", "")),
        source=source,
    )


def _int(value: object) -> int:
    try:
        return int(str(value).replace(",", "").split(".")[0])
    except (TypeError, ValueError):
        return 0


class OfflineGeocoder:
    """geopy-compatible geocoder answering from the embedded gazetteer; never touches the network.

    "Lima, Ohio" / "Lima, Peru" / "Yonkers, New York, United States": the comma parts that name a
    country or admin-1 region (name, abbreviation or ISO code) filter the places named before them
    (`qualifiers.parse_query`, as `geomap geocode` reads them). A last part that names no region is
    part of the name ("Washington, D.C."), or dropped when the whole names nothing.
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        country_codes: str | Sequence[str] | None = None,
        limit: int | None = None,
        **kwargs: object,  # geopy options such as timeout= have no meaning offline
    ) -> GeocodeResult:
        if not isinstance(query, str):
            raise UsageError("the offline geocoder takes a text query such as 'Lima, Peru'")
        places = self.places(query, country_codes=country_codes)
        return _result([place_to_location(p) for p in places], exactly_one, limit)

    def reverse(self, query: object, *, exactly_one: bool = True, **kwargs: object) -> GeocodeResult:
        """The nearest populated place to "lat, lon", a (lat, lon) pair or a geopy Point."""
        try:
            point = Point(query)  # type: ignore[arg-type]
        except (TypeError, ValueError) as err:
            raise UsageError(f"not a coordinate pair: {query!r}") from err
        place = self.gazetteer.reverse(point.latitude, point.longitude)
        return _result([place_to_location(place)] if place else [], exactly_one, None)

    def places(self, query: str, *, country_codes: str | Sequence[str] | None = None) -> list[Place]:
        """The places `query` may mean, best first (what `geocode` returns, as Places)."""
        countries = _codes(country_codes)
        return [c.place for c in self._resolve(query.strip(), countries)]

    def _resolve(self, query: str, countries: frozenset[str] | None) -> list[Candidate]:
        name, scopes = qualifiers.parse_query(query, self.gazetteer)
        if scopes:
            inner = frozenset(country for country, _ in scopes[0])
            countries = inner if countries is None else inner & countries
            if not countries:  # a real country or region, but outside `country_codes`
                return []
        found = self._named(name, countries)
        while not found and "," in name:  # "Springfield, Nowhere": a last part that names nothing goes
            name = name.rpartition(",")[0].strip()
            found = self._named(name, countries)
        return [c for c in found if all(qualifiers.within(c.place, scope) for scope in scopes)]

    def _named(self, name: str, countries: frozenset[str] | None) -> list[Candidate]:
        if countries is None:
            return self.gazetteer.candidates(name)
        if len(countries) == 1:
            return self.gazetteer.candidates(name, country_code=next(iter(countries)), limit=_WIDE)
        return [c for c in self.gazetteer.candidates(name, limit=_WIDE) if c.place.country_code in countries]


def _codes(country_codes: str | Sequence[str] | None) -> frozenset[str] | None:
    if not country_codes:
        return None
    items = [country_codes] if isinstance(country_codes, str) else list(country_codes)
    return frozenset(code.strip().upper() for item in items for code in item.split(",") if code.strip())


def _result(locations: list[Location], exactly_one: bool, limit: int | None) -> GeocodeResult:
    if not locations:
        return None
    if exactly_one:
        return locations[0]
    return locations[:limit] if limit else locations


class OnlineGeocoder:
    """A geopy provider behind a RateLimiter; failures raise GeocoderError, "not found" returns None."""

    def __init__(
        self,
        service: str,
        geocode: Callable[..., Any],
        reverse: Callable[..., Any] | None,
        *,
        domain: str = "",
    ) -> None:
        self.service = service
        self.domain = domain  # the server asked, part of the identity under which answers are cached
        self._geocode = geocode
        self._reverse = reverse

    def geocode(self, query: str, *, exactly_one: bool = True, **kwargs: object) -> GeocodeResult:
        return self._call(self._geocode, query, exactly_one=exactly_one, **kwargs)

    def reverse(self, query: object, *, exactly_one: bool = True, **kwargs: object) -> GeocodeResult:
        if self._reverse is None:
            raise UsageError(f"the {self.service} geocoder cannot reverse-geocode")
        return self._call(self._reverse, query, exactly_one=exactly_one, **kwargs)

    def _call(self, func: Callable[..., Any], query: object, **kwargs: object) -> GeocodeResult:
        try:
            return func(query, **kwargs)  # type: ignore[no-any-return]
        except GeopyError as err:
            raise GeocoderError(f"{self.service} geocoder failed: {err}") from err

    def place(self, query: str, **kwargs: object) -> Place | None:
        """The best Place for `query`, or None when the service found nothing."""
        location = self.geocode(query, exactly_one=True, **kwargs)
        return location_to_place(location, self.service) if isinstance(location, Location) else None


def online_geocoder(
    service: str,
    *,
    min_delay_seconds: float = 1.0,
    max_retries: int = 2,
    error_wait_seconds: float = 5.0,
    **options: Any,
) -> OnlineGeocoder:
    """A rate-limited geopy provider by name ('nominatim', 'photon', ...); options go to its constructor."""
    try:
        provider_class = get_geocoder_for_service(service)
    except GeocoderNotFound as err:
        raise UsageError(f"unknown geocoding service {service!r} (try 'nominatim' or 'photon')") from err
    options.setdefault("user_agent", DEFAULT_USER_AGENT)
    try:
        provider = provider_class(**options)
    except (TypeError, ValueError, ConfigurationError) as err:
        raise UsageError(f"cannot configure the {service} geocoder: {err}") from err

    def limited(func: Callable[..., Any]) -> Callable[..., Any]:
        return RateLimiter(
            func,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=error_wait_seconds,
            swallow_exceptions=False,
        )

    reverse = getattr(provider, "reverse", None)
    domain = str(getattr(provider, "domain", "") or getattr(provider, "api", "") or "")
    return OnlineGeocoder(service, limited(provider.geocode), limited(reverse) if reverse else None, domain=domain)


# --------------------------------------------------------------------------- the resolver's side

# What each provider is asked for a name: enough detail (country, region, population) to rank it.
_SEARCH_OPTIONS: dict[str, dict[str, object]] = {
    "nominatim": {"addressdetails": True, "extratags": True, "language": "en", "limit": 10},
    "photon": {"language": "en", "limit": 10},
}
_COUNTRY_OPTION = {"nominatim": "country_codes"}  # providers that can filter by country themselves


class OnlineLookup:
    """An online provider seen through the resolver's `Lookup` protocol.

    `candidates` returns the provider's places for a name ("not found" is an empty list, which the
    cache may keep); a failing service raises `GeocoderError`, which must not be cached. Demonyms
    are the gazetteer's business, so `demonym` is always None. `backend_id` names the service and
    its server, for `CachedLookup`.
    """

    def __init__(self, geocoder: OnlineGeocoder, *, search_options: Mapping[str, object] | None = None) -> None:
        self.geocoder = geocoder
        self.search_options = dict(
            _SEARCH_OPTIONS.get(geocoder.service, {}) if search_options is None else search_options
        )
        self.backend_id = f"online:{geocoder.service}:{geocoder.domain}"
        self.requests = 0

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]:
        if not name.strip():
            return []
        options = dict(self.search_options)
        option = _COUNTRY_OPTION.get(self.geocoder.service)
        if country_code and option:
            options[option] = country_code.lower()
        self.requests += 1
        found = self.geocoder.geocode(name, exactly_one=False, **options)
        places = [location_to_place(location, self.geocoder.service) for location in _as_list(found)]
        if country_code:
            places = [p for p in places if p.country_code == country_code.upper()]
        firsts = {p.id: p for p in reversed(places)}  # one candidate per place, the first one
        return [Candidate(place=p, matched=name, name_kind="name") for p in places if firsts.get(p.id) is p]

    def demonym(self, word: str) -> Place | None:
        return None


def _as_list(found: GeocodeResult) -> list[Location]:
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


class FallbackLookup:
    """A `Lookup` that asks `first` (the gazetteer) and, only for names it does not know, `second`."""

    def __init__(self, first: Lookup, second: Lookup) -> None:
        self.first = first
        self.second = second

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]:
        found = self.first.candidates(name, country_code=country_code)
        return found or self.second.candidates(name, country_code=country_code)

    def demonym(self, word: str) -> Place | None:
        return self.first.demonym(word)


def check_service(service: str) -> str:
    """`service` if geopy has a provider of that name, else a UsageError that says what to try."""
    try:
        get_geocoder_for_service(service)
    except GeocoderNotFound as err:
        raise UsageError(f"unknown geocoding service {service!r} (try 'nominatim' or 'photon')") from err
    return service


def online_lookup(service: str, **options: Any) -> OnlineLookup:
    """`OnlineLookup` over `online_geocoder(service, **options)` (see there for the options)."""
    return OnlineLookup(online_geocoder(service, **options))
