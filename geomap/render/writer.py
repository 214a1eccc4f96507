"""Writing a map: the page, and one reader view per article in the folder named after it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from geomap.errors import GeomapError
from geomap.export import DEFAULT_ATTRIBUTION
from geomap.models import ArticleResult
from geomap.outputs import write_text_atomic
from geomap.places import aggregate, drawable
from geomap.render.assets import outlines_script
from geomap.render.page import OUTLINES_FILE, map_html
from geomap.render.reader import reader_html
from geomap.render.text import reader_dir_name, reader_filename

MARKER = ".geomap"  # in a map's folder: geomap wrote it, so the next run of the same map may replace it
_PAGE = ".map.html"  # the new page, staged in the folder, moved beside it last


@dataclass(frozen=True)
class MapOutput:
    """What `write_map` wrote. `places`: distinct places aggregated; `points`: markers drawn (places
    with usable coordinates)."""

    map_path: Path
    article_paths: tuple[Path, ...]
    places: int
    points: int


def write_map(
    results: Sequence[ArticleResult],
    out_path: Path,
    *,
    title: str = "geomap",
    cdn: bool = False,
    attribution: str = DEFAULT_ATTRIBUTION,
) -> MapOutput:
    """Write the map to `out_path` and one reader view per article into the folder beside it named after it
    (`out/gaza.html` -> `out/gaza_files/`)."""
    with MapWriter(out_path, title=title, cdn=cdn, attribution=attribution) as writer:
        for result in results:
            writer.add(result)
        return writer.finish()


class MapWriter:
    """The map, built as results arrive: each article's reader view is written at once (into a hidden folder
    that replaces the map's folder, `<map name>_files/`, when the map is finished: an interrupted run leaves no
    page of a map that was never written, and a finished one no page of an earlier run), and only what the map
    page and the exports need is kept: the article's metadata and resolutions, not its text. Use as a context
    manager: leaving it unfinished removes the hidden folder."""

    def __init__(
        self, out_path: Path, *, title: str = "geomap", cdn: bool = False, attribution: str = DEFAULT_ATTRIBUTION
    ) -> None:
        self.out_path = Path(out_path)
        self.title, self.cdn, self.attribution = title, cdn, attribution
        self.results: list[ArticleResult] = []  # as added, first of each id, without the article's text
        self._names: list[str] = []  # reader pages written, in order
        self._ids: set[str] = set()
        self.reader_dir = reader_dir_name(self.out_path)
        self._articles_dir = self.out_path.parent / self.reader_dir
        self._staging = self.out_path.parent / f".{self.reader_dir}-{os.getpid()}.partial"
        self._map_href = "../" + quote(self.out_path.name)
        self._check_folder()  # before any work: a run must not end in this

    def __enter__(self) -> MapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)

    def add(self, result: ArticleResult) -> None:
        if result.article.id in self._ids:
            return  # one reader view per id: the first occurrence wins
        self._ids.add(result.article.id)
        if not self._names:
            self._staging.mkdir(parents=True, exist_ok=True)
        name = reader_filename(result.article.id)
        write_text_atomic(self._staging / name, reader_html(result, map_href=self._map_href))
        self._names.append(name)
        self.results.append(ArticleResult(replace(result.article, text=""), result.resolutions))

    def finish(self) -> MapOutput:
        points = aggregate(self.results)
        drawn = sum(1 for p in points if drawable(p.place))
        html = map_html(
            self.results,
            title=self.title,
            cdn=self.cdn,
            attribution=self.attribution,
            reader_dir=self.reader_dir,
            points=points,
        )
        self._staging.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self._staging / OUTLINES_FILE, outlines_script())
        write_text_atomic(
            self._staging / MARKER, f"Written by geomap for {self.out_path.name}; replaced on each run.\n"
        )
        write_text_atomic(self._staging / _PAGE, html)  # written before anything is replaced: a full disk, say
        self._check_folder()
        self._replace_folder()
        os.replace(self._articles_dir / _PAGE, self.out_path)
        paths = tuple(self._articles_dir / name for name in self._names)
        return MapOutput(self.out_path, paths, places=len(points), points=drawn)

    def _check_folder(self) -> None:
        """A folder of the map's name that geomap did not write (no marker) is the user's: never replaced."""
        folder = self._articles_dir
        if self.out_path.is_dir():
            raise GeomapError(f"cannot write the map to {self.out_path}: it is a folder")
        if folder.is_dir() and not (folder / MARKER).exists() and any(folder.iterdir()):
            raise GeomapError(
                f"cannot write the map's reader pages to {folder}: it holds files geomap did not write; "
                "move them, or give the map another name with -o"
            )

    def _replace_folder(self) -> None:
        """The staged folder becomes the map's folder; the previous one (an earlier run's pages) goes."""
        old = self._staging.with_suffix(".old")
        if self._articles_dir.is_dir():
            os.replace(self._articles_dir, old)
        try:
            os.replace(self._staging, self._articles_dir)
        except OSError:
            if old.exists():
                os.replace(old, self._articles_dir)  # put the previous pages back
            raise
        shutil.rmtree(old, ignore_errors=True)
