"""One exception tree. Leaves also inherit the matching built-in so callers may catch either."""


class GeomapError(Exception):
    """Base of every error geomap raises on purpose; its message is one line for the user."""


class UsageError(GeomapError, ValueError):
    """The caller asked for something impossible (bad option, unknown model...)."""


class InputError(GeomapError, OSError):
    """An input could not be read or parsed; the run skips it and goes on."""


class ModelError(GeomapError, RuntimeError):
    """The spaCy model is missing or cannot be loaded."""


class GazetteerError(GeomapError, RuntimeError):
    """The gazetteer file is missing, corrupt, or cannot be built."""


class CacheError(GeomapError, RuntimeError):
    """The cache file cannot be opened or repaired."""


class GeocoderError(GeomapError, RuntimeError):
    """An online geocoder failed (as opposed to answering 'not found')."""
