"""Words around a name that say how the text uses it, shared by recognition and resolution.

Kept apart from `geomap.names` (name normalisation, which the gazetteer's build depends on), so that tuning
a cue never rebuilds the gazetteer; the article cache's code key covers this module.
"""

from __future__ import annotations

import re

# "Grovetown police", "a Gainesville man", "Hamilton residents": a town's name before its people and services,
# and before its institutions ("Dublin City Council", "Norfolk High School"): local news about that town.
LOCAL_AFTER = re.compile(
    r"^\s+(?:police|policeman|firefighters|fire\s+department|fire\s+chief|mayor|city\s+council|city\s+hall|"
    r"man|woman|men|women|boy|girl|teen|teenager|couple|family|resident|residents|native|homeowner|homeowners|"
    r"officials)\b",
    re.IGNORECASE,
)
TOWN_SERVICES = "Police Fire Volunteer Sheriff City Town Village Township County Council Municipal Chamber".split()
TOWN_BODIES = "High Middle Elementary School Schools Senior Public Library Board Hospital Regional Community Area"
LOCAL_INSTITUTION = re.compile(rf"^\s+(?:{'|'.join(TOWN_SERVICES + TOWN_BODIES.split())})\b")
LOCAL_INSTITUTION_STRICT = re.compile(rf"^\s+(?:{'|'.join(TOWN_SERVICES)})\b")
