"""geomap: map every place a pile of articles mentions.

Library use::

    from geomap.pipeline import Pipeline, Settings
    result = Pipeline(Settings()).run(["seeds/"])
"""

__version__ = "0.1.0"
