"""The command line: parses arguments, calls one library function, prints, and sets the exit code.

Exit codes: 0 success; 1 error (or no input could be used); 2 misuse; 3 some inputs were skipped;
130 interrupted (Ctrl-C).
Data goes to stdout, logs and progress to stderr.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geomap import __version__
from geomap.errors import GeomapError

if TYPE_CHECKING:
    from geomap.models import Place

log = logging.getLogger("geomap")
EXIT_SKIPPED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
DEFAULT_SEEDS = Path("seeds")


# ---------------------------------------------------------------- shared options


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--cache-dir, -v/-q: the same flag means the same thing on every command."""

    @click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("cache"),
        show_default=True,
        envvar="GEOMAP_CACHE_DIR",
        help="Where the gazetteer and the cache live (env GEOMAP_CACHE_DIR).",
    )
    @click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv for debug).")
    @click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress.")
    @functools.wraps(func)
    def wrapper(*args: Any, verbose: int, quiet: bool, **kwargs: Any) -> Any:
        _setup_logging(verbose, quiet)
        kwargs["quiet"] = quiet
        return func(*args, **kwargs)

    return wrapper


def _country_codes(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """ISO 3166-1 alpha-2 codes, upper-cased; anything else is a usage error naming the valid form."""
    from geomap.gazetteer import country_codes

    values = (value,) if isinstance(value, str) else tuple(value or ())
    known = country_codes()
    for code in values:
        if code.upper() not in known:
            raise click.BadParameter(f"{code!r} is not an ISO 3166-1 alpha-2 country code (two letters: US, FR, AM...)")
    upper = tuple(code.upper() for code in values)
    return upper[0] if isinstance(value, str) else upper


def _weights_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """A resolver weights file, checked now so that a bad one is a usage error before any work."""
    if value is not None:
        from geomap.errors import UsageError
        from geomap.weights import Model

        try:
            Model.load(value)
        except UsageError as err:
            raise click.BadParameter(str(err)) from err
    return value


weights_option = click.option(
    "--weights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    callback=_weights_file,
    help="Resolver weights as scripts/train_resolver.py writes them (default: the shipped ones).",
)


def _dask_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A Dask scheduler address, checked (and Dask's presence with it) before any work."""
    if value is None:
        return None
    try:
        import distributed  # noqa: F401 - the optional extra
    except ImportError as err:
        raise click.BadParameter(f"needs Dask, which is not installed: pip install 'geomap[dask]' ({err})") from err
    from geomap.cluster import check_address
    from geomap.errors import UsageError

    try:
        return check_address(value)
    except UsageError as err:
        raise click.BadParameter(str(err)) from err


def dask_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--dask / --dask-gazetteer: compute the articles on a Dask cluster (the optional extra geomap[dask])."""
    func = click.option(
        "--dask-gazetteer",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help="The cache folder whose gazetteer the Dask workers open, as the workers see it (default: "
        "--cache-dir's absolute path; built there from the package data if missing).",
    )(func)
    return click.option(
        "--dask",
        default=None,
        metavar="ADDRESS",
        callback=_dask_address,
        help="Compute the articles on a Dask cluster: tcp://HOST:PORT of a running scheduler, or 'local' to "
        "start one of --jobs worker processes here (pip install 'geomap[dask]').",
    )(func)


def _model_names(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str | None, tuple]:
    """'NAME' (the default model) and 'LANG=NAME' (the model for articles in LANG), each an installed package:
    (the default model or None, ((lang, model), ...))."""
    from geomap.language import language_name, model_language, model_meta

    main: str | None = None
    others: dict[str, str] = {}
    for value in values:
        code, eq, name = value.rpartition("=") if "=" in value else ("", "", value)
        code, name = code.strip().lower(), name.strip()
        if eq and not (len(code) == 2 and code.isalpha()):
            raise click.BadParameter(f"{value!r}: the language is an ISO 639-1 code, as in fr=fr_core_news_sm")
        if not model_meta(name):
            package = name.replace("_", "-")
            raise click.BadParameter(f"no spaCy model {name!r} is installed (pip install {package})")
        reads = model_language(name)
        if eq and reads and reads != code:
            raise click.BadParameter(f"{name} reads {language_name(reads)} ({reads}), not {language_name(code)}")
        if eq:
            others[code] = name
        else:
            main = name
    return main, tuple(sorted(others.items()))


model_option = click.option(
    "--model",
    "models",
    multiple=True,
    metavar="[LANG=]NAME",
    callback=_model_names,
    help="Installed spaCy pipeline to use; LANG=NAME reads articles in that language with it "
    "(e.g. fr=fr_core_news_sm; repeatable).",
)
language_check_option = click.option(
    "--language-check",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    help="on: skip an article in a language no --model reads, naming it; off: read every article as the "
    "default model's language.",
)


def fetch_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--fetch and how: web pages, feeds and lists of URLs as inputs (opt-in network)."""
    from geomap.fetch import DEFAULT_USER_AGENT

    options = [
        click.option(
            "--fetch",
            is_flag=True,
            help="Also read http(s) URLs, lists of them (.urls, or a text file of nothing else) and RSS/Atom "
            "feeds (each entry's page), downloading them; off by default: nothing leaves this machine.",
        ),
        click.option("--refresh", is_flag=True, help="With --fetch: download again pages the cache already has."),
        click.option(
            "--user-agent", default=DEFAULT_USER_AGENT, show_default=True, help="With --fetch: the User-Agent sent."
        ),
        click.option(
            "--fetch-delay",
            type=click.FloatRange(min=0),
            default=1.0,
            show_default=True,
            metavar="SECONDS",
            help="With --fetch: at least this long between two requests to one host.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def pipeline_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that shape recognition, resolution and reading."""
    options = [
        model_option,
        language_check_option,
        click.option(
            "--country",
            "countries",
            multiple=True,
            metavar="CC",
            callback=_country_codes,
            help="Prefer places in this country (ISO code, soft bias; repeatable).",
        ),
        click.option(
            "--demonyms/--no-demonyms",
            default=False,
            help='Also map adjectives such as "Iranian" to their country.',
        ),
        click.option("--include", multiple=True, metavar="GLOB", help="Only read files matching GLOB (repeatable)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB (repeatable)."),
        click.option(
            "--max-bytes",
            type=int,
            default=50_000_000,
            show_default=True,
            help="Skip larger files (JSON Lines: larger lines; the file is streamed whatever its size).",
        ),
        click.option("--text-field", default="text", show_default=True, help="Text field of JSON/CSV records."),
        click.option("--title-field", default="title", show_default=True, help="Title field of JSON/CSV records."),
        click.option("--url-field", default="url", show_default=True, help="URL field of JSON/CSV records."),
        click.option("--date-field", default="date", show_default=True, help="Date field of JSON/CSV records."),
        click.option("--strict", is_flag=True, help="Fail (exit 1) if any input has to be skipped."),
        click.option("--no-reuse", is_flag=True, help="Recompute every article instead of reusing cached results."),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="Worker processes computing articles (default: the CPUs, fewer if memory is short; 1: this process).",
        ),
        click.option(
            "--overrides",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            metavar="FILE",
            help="CSV/YAML rules 'name,place,context': force a name to a place id, or '-' to never map it.",
        ),
        weights_option,
    ]
    for option in reversed(options):
        func = option(func)
    return fetch_options(dask_options(func))


def geocoder_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--geocoder / --geocoder-option: an opt-in online geocoder for names the gazetteer lacks."""
    func = click.option(
        "--geocoder-option",
        "geocoder_option",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_key_values,
        help="Option for the online geocoder's constructor, e.g. domain=localhost:8080, "
        "user_agent=..., timeout=10, min_delay_seconds=1 (repeatable).",
    )(func)
    return click.option(
        "--geocoder",
        default=None,
        metavar="SERVICE",
        callback=_service,
        help="Also ask this online geocoder (a geopy service: nominatim, photon, ...) about names "
        "the offline gazetteer does not know. Off by default; answers are cached.",
    )(func)


def _service(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return None  # geopy is imported only when an online geocoder is asked for (it costs start-up time)
    from geomap.errors import UsageError
    from geomap.geocoders import check_service

    try:
        return check_service(value)
    except UsageError as err:
        raise click.BadParameter(str(err)) from err


def _key_values(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    pairs = []
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE")
        pairs.append((key.strip(), _option_value(value.strip())))
    return tuple(pairs)


def _option_value(text: str) -> Any:
    """'10' -> 10, '0.5' -> 0.5, 'true'/'false' -> bool; anything else stays text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class _LogFormatter(logging.Formatter):
    """One line per record; tracebacks (a library retrying, say) only with -vv."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("%(levelname)s: %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self.tracebacks and (record.exc_info or record.exc_text):
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter(tracebacks=verbose > 1))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _settings(cache_dir: Path, kw: dict[str, Any]) -> Any:
    from geomap.inputs import ReadOptions
    from geomap.pipeline import Settings
    from geomap.recognize import DEFAULT_MODEL

    read = ReadOptions(
        include=tuple(kw["include"]),
        exclude=tuple(kw["exclude"]),
        max_bytes=kw["max_bytes"],
        text_field=kw["text_field"],
        title_field=kw["title_field"],
        url_field=kw["url_field"],
        date_field=kw["date_field"],
        fetch=_fetch(cache_dir, kw),
    )
    main, others = kw.get("models") or (None, ())
    return Settings(
        cache_dir=cache_dir,
        model=main or DEFAULT_MODEL,
        models=others,
        language_check=kw.get("language_check", "on") == "on",
        demonyms=kw["demonyms"],
        countries=tuple(c.upper() for c in kw["countries"]),
        read=read,
        reuse_articles=not kw["no_reuse"],
        overrides=kw.get("overrides"),
        weights=kw.get("weights"),
        geocoder=kw.get("geocoder"),
        geocoder_options=kw.get("geocoder_option", ()),
        jobs=_jobs(kw.get("jobs")),
        dask=kw.get("dask"),
        dask_gazetteer=kw.get("dask_gazetteer"),
    )


def _fetch(cache_dir: Path, kw: dict[str, Any]) -> Any:
    if not kw.get("fetch"):
        return None
    from geomap.fetch import FetchOptions

    return FetchOptions(cache_dir, kw["user_agent"], kw["fetch_delay"], refresh=kw["refresh"])


def _jobs(requested: int | None) -> int:
    from geomap.runner import default_jobs

    return requested if requested is not None else default_jobs()


class _ProgressBar:
    """A one-line progress bar with rate and ETA, on stderr, only on a terminal and only when slow."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.shown = False
        self.first: tuple[int, float] | None = None  # (done, time) at the first report

    def __call__(self, done: int, total: int | None) -> None:
        """`total` is None while the input is still being read."""
        now = time.monotonic()
        if self.first is None:
            # Articles reused from the cache arrive at once: the rate counts only those computed since.
            self.first = (done, now)
        elapsed = now - self.started
        if not self.enabled or total == 0 or (elapsed < 2.0 and not self.shown):
            return
        if done == total and not self.shown:
            return  # finished before it was worth showing
        rate = (done - self.first[0]) / (now - self.first[1]) if now > self.first[1] else 0.0
        if total is None:
            sys.stderr.write(f"\r{done} articles  {rate:.1f}/s ")
        else:
            eta = (total - done) / rate if rate > 0 else 0.0
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {done}/{total} articles  {rate:.1f}/s  ETA {eta:.0f}s ")
        self.shown = True
        if done == total:
            sys.stderr.write("\n")


def _notifier(quiet: bool) -> Callable[[str], None] | None:
    """One-line notices (such as the first-run gazetteer build) on stderr, unless -q."""
    return None if quiet else (lambda message: click.echo(message, err=True))


def _run(paths: Sequence[str], cache_dir: Path, kw: dict[str, Any], consume: Callable[[Any], None]) -> Any:
    """Stream the results of `paths` into `consume`, one article at a time, in input order; report skipped
    inputs as they are found. Returns the run's `Tally`."""
    from geomap.models import Skipped
    from geomap.pipeline import Pipeline, Tally

    tally = Tally()
    progress = _ProgressBar(enabled=not kw.get("quiet"))
    with Pipeline(_settings(cache_dir, kw), progress=progress, notify=_notifier(kw.get("quiet", False))) as pipeline:
        for item in pipeline.stream(paths):
            tally.add(item)
            if isinstance(item, Skipped):
                click.echo(f"skipped {item.source}: {item.reason}", err=True)
            else:
                consume(item)
        log.info("%(processed)d articles processed, %(reused)d reused from the cache", pipeline.stats)
    if not tally.articles:
        raise GeomapError("no article could be read from " + ", ".join(paths))
    if tally.skipped and kw.get("strict"):
        raise GeomapError(f"{tally.skipped} input(s) skipped and --strict given")
    return tally


def _exit_code(tally: Any) -> int:
    return EXIT_SKIPPED if tally.skipped else 0


def _summary(tally: Any, extra: str = "") -> None:
    s = tally.line()
    click.echo(
        f"{s['articles']} articles read, {s['skipped']} skipped, {s['places']} places, "
        f"{s['mentions']} mentions, {s['unresolved']} unresolved{extra}",
        err=True,
    )


# ---------------------------------------------------------------- the group


class _Group(click.Group):
    """Turns expected errors into one line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GeomapError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            # Cache writes are transactions and outputs are renamed into place: nothing is half-written.
            lead = "\n" if sys.stderr.isatty() else ""
            click.echo(f"{lead}Interrupted; finished work is cached, a re-run continues from there.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geomap")
def cli() -> None:
    """Map every place a pile of articles mentions.

    \b
    Quick tour:
      geomap map seeds/ -o out/map.html      # the interactive map
      geomap parse seeds/                    # mentions and places as JSON Lines
      geomap geocode "Lima, Ohio"            # what a name resolves to
      geomap cache info                      # what is cached

    Everything runs offline: recognition with a spaCy model, geocoding with an embedded
    GeoNames/Natural Earth gazetteer built into the cache dir on first use.
    """


@cli.command("map")
@click.argument("paths", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out/map.html"),
    show_default=True,
    help="The map file; article pages go in a folder beside it.",
)
@click.option("--title", default="geomap", show_default=True, help="Title of the map page.")
@click.option("--cdn", is_flag=True, help="Load Leaflet from CDNs (smaller file) instead of inlining it.")
@click.option(
    "--geojson",
    "geojson_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the places as a GeoJSON FeatureCollection (each with its articles) to this file.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write one CSV row per mention (resolved or not) to this file.",
)
@pipeline_options
@geocoder_options
@common_options
def map_command(
    paths: tuple[str, ...],
    output: Path,
    title: str,
    cdn: bool,
    geojson_path: Path | None,
    csv_path: Path | None,
    cache_dir: Path,
    **kw: Any,
) -> None:
    """Build an interactive map of the places PATHS mention.

    PATHS are files or folders of articles (.txt, .md, .html, .pdf, .json, .jsonl, .csv; - for stdin).
    With no PATHS, the sample articles in seeds/ are mapped.

    \b
    Example:
      $ geomap map seeds/ -o out/map.html --geojson out/places.geojson --csv out/mentions.csv
      7 articles read, 0 skipped, 95 places, 490 mentions, 6 unresolved
      wrote out/map.html (+ 7 article pages in out/map_files/)
      wrote out/places.geojson (95 places)
      wrote out/mentions.csv (490 mentions)
    """
    from geomap.render import MapWriter

    try:
        with MapWriter(output, title=title, cdn=cdn) as writer:
            tally = _run(paths or (str(DEFAULT_SEEDS),), cache_dir, kw, writer.add)
            out = writer.finish()
    except OSError as err:
        raise GeomapError(f"cannot write the map to {output}: {err.strerror or err}") from err
    quiet = bool(kw.get("quiet"))  # -q: only errors on stderr, as with parse
    if not quiet:
        _summary(tally)
        pages = f"{len(out.article_paths)} article pages in {out.map_path.parent / writer.reader_dir}/"
        click.echo(f"wrote {out.map_path} (+ {pages})", err=True)
    _write_exports(writer.results, geojson_path, csv_path, quiet=quiet)
    sys.exit(_exit_code(tally))


def _write_exports(results: Any, geojson_path: Path | None, csv_path: Path | None, *, quiet: bool = False) -> None:
    from geomap.export import write_csv, write_geojson

    for path, write, what in ((geojson_path, write_geojson, "places"), (csv_path, write_csv, "mentions")):
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            count = write(results, path)
        except OSError as err:
            raise GeomapError(f"cannot write {path}: {err.strerror or err}") from err
        if not quiet:
            click.echo(f"wrote {path} ({count} {what})", err=True)


@cli.command("parse")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "geojson", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one object per article; geojson: a FeatureCollection, a Point per place (as map --geojson); "
    "csv: a row per mention.",
)
@pipeline_options
@geocoder_options
@common_options
def parse_command(paths: tuple[str, ...], fmt: str, cache_dir: Path, **kw: Any) -> None:
    """Print the place mentions of PATHS with offsets and resolved places.

    PATHS may be files, folders, - for stdin, or .jsonl files of {"id", "text", ...} records
    (one article each; this is how gold corpora are run).

    \b
    Example:
      $ echo "Flooding hit Lima, Ohio on Monday." | geomap parse - -q
      {"id": "stdin", "title": "Flooding hit Lima, Ohio on Monday.", "source": "stdin",
       "mentions": [{"start": 13, "end": 17, "text": "Lima", "kind": "toponym", "label": "GPE",
       "name": "Lima", "lat": 40.74255, "lon": -84.10523, "country_code": "US", ...,
       "feature": "city", "place_id": "gn:5160783", "score": 1.0, ...}, {"start": 19, ...}]}
    """
    from geomap import export

    writer = export.StreamWriter(sys.stdout, fmt)
    try:
        tally = _run(paths, cache_dir, kw, writer.write)
    finally:
        if writer.started:  # a complete document for what was done (nothing at all if no article was read)
            writer.close()
    if not kw.get("quiet"):
        _summary(tally)
    sys.exit(_exit_code(tally))


@cli.command("geocode")
@click.argument("name")
@click.option(
    "--country", default=None, metavar="CC", callback=_country_codes, help="Only places in this country (ISO code)."
)
@click.option("--all", "show_all", is_flag=True, help="Print every candidate, not just the best five.")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True)
@geocoder_options
@common_options
def geocode_command(
    name: str,
    country: str | None,
    show_all: bool,
    fmt: str,
    geocoder: str | None,
    geocoder_option: tuple[tuple[str, Any], ...],
    cache_dir: Path,
    quiet: bool,
) -> None:
    """Show the places NAME may be, best first.

    "Lima, Ohio" style qualifiers are understood; --country keeps only one country's places.

    \b
    Examples:
      $ geomap geocode Lima
      1. Lima, Lima Province, Peru  (-12.04318, -77.02824)  capital, pop. 7737002  gn:3936456
      2. Lima, Ohio, United States  (40.74255, -84.10523)  city, pop. 37873  gn:5160783
      ...
      $ geomap geocode Lima --country US --format jsonl
      {"name": "Lima", "lat": 40.74255, "lon": -84.10523, "feature": "city", "feature_code": "",
       "country_code": "US", "country": "United States", "admin1": "Ohio", ...}
      ...
    """
    from geomap import export
    from geomap.pipeline import Pipeline, Settings

    settings = Settings(cache_dir=cache_dir, geocoder=geocoder, geocoder_options=geocoder_option)
    with Pipeline(settings) as pipeline:
        ranked = pipeline.geocode(name, country=country)
    if not ranked:
        where = f"the gazetteer or {geocoder}" if geocoder else "the gazetteer"
        raise GeomapError(f"no place called {name!r} in {where}")
    for i, (place, score) in enumerate(ranked if show_all else ranked[:5], start=1):
        if fmt == "jsonl":
            click.echo(json.dumps({**export.place_record(place), "score": score}, ensure_ascii=False))
        else:
            click.echo(_place_line(i, place))


@cli.command("eval")
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every miss, false alarm and far-off resolution (JSON Lines) to this file.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@model_option
@language_check_option
@click.option(
    "--country",
    "countries",
    multiple=True,
    metavar="CC",
    callback=_country_codes,
    help="Soft country bias (repeatable).",
)
@click.option("--no-reuse", is_flag=True, help="Recompute every article instead of reusing cached results.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N", help="Worker processes (default: the CPUs)."
)
@click.option(
    "--given-spans",
    is_flag=True,
    help="Resolve the gold toponym spans themselves, without recognition: scores the resolver alone.",
)
@weights_option
@dask_options
@common_options
def eval_command(
    gold: tuple[Path, ...],
    errors_path: Path | None,
    fmt: str,
    cache_dir: Path,
    quiet: bool,
    given_spans: bool,
    **kw: Any,
) -> None:
    """Score recognition and resolution on gold-annotated JSON Lines corpora.

    Each GOLD file holds {"id", "text", "toponyms": [{"start", "end", "lat", "lon"}...]} records. The
    articles are run through exactly what `geomap parse` does, then scored per corpus, without and
    with demonyms ("Iranian"): toponym P/R/F1 (exact and overlapping spans), Acc@161, median and
    mean error (km), AUC of the log-error curve, and end-to-end Acc@161.

    \b
    Example:
      $ geomap eval gold.jsonl --errors out/errors.jsonl
                                    gold  gold+demonyms
      articles                         2              2
      ...
      Acc@161 (end-to-end)         1.000          1.000
      ...
      wrote 0 error records to out/errors.jsonl
    """
    from geomap import evaluate, export
    from geomap.pipeline import Pipeline

    kw.update(
        demonyms=True,
        include=(),
        exclude=(),
        max_bytes=500_000_000,
        text_field="text",
        title_field="title",
        url_field="url",
        date_field="date",
        quiet=quiet,
    )
    if given_spans and kw.get("dask"):
        log.warning("--given-spans resolves the gold spans in this process: --dask is not used")
    scores: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for path in gold:
        records = evaluate.load_jsonl(path)
        with Pipeline(
            _settings(cache_dir, kw), progress=_ProgressBar(enabled=not quiet), notify=_notifier(quiet)
        ) as pipeline:
            if given_spans:
                results = list(pipeline.resolve_spans(evaluate.gold_article(r) for r in records))
            else:
                results = list(pipeline.run([path]).articles)
        predicted = [export.article_record(r) for r in results]
        for name, demonyms in ((path.stem, False), (f"{path.stem}+demonyms", True)):
            scores[name] = evaluate.score_corpus(records, predicted, include_demonyms=demonyms, spans_given=given_spans)
        for rec in evaluate.error_records(records, predicted):
            errors.append({"corpus": path.stem, **rec})
    if errors_path is not None:
        from geomap.outputs import write_text_atomic

        write_text_atomic(errors_path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors))
        click.echo(f"wrote {len(errors)} error records to {errors_path}", err=True)
    if fmt == "json":
        click.echo(json.dumps({name: s.as_dict() for name, s in scores.items()}, indent=2))
    else:
        click.echo(evaluate.format_scores(scores), nl=False)


@cli.group("cache", cls=_Group)
def cache_group() -> None:
    """Inspect or empty the cache (geocoder answers and per-article results).

    \b
    Examples:
      $ geomap cache info
      $ geomap cache clear --cache-dir /tmp/geomap-cache
    """


@cache_group.command("info")
@common_options
def cache_info(cache_dir: Path, quiet: bool) -> None:
    """Show where the cache is and what it holds.

    \b
    Example:
      $ geomap cache info
      path      cache/geomap-cache.sqlite
      bytes     1417216
      lookups   549
      articles  18
      pages     0
    """
    from geomap.cache import CACHE_FILENAME, Cache

    if not (cache_dir / CACHE_FILENAME).is_file():  # looking creates nothing
        empty = {"path": cache_dir / CACHE_FILENAME, "bytes": 0, "lookups": 0, "articles": 0, "pages": 0}
        for key, value in empty.items():
            click.echo(f"{key:<9} {value}")
        click.echo(f"(no cache in {cache_dir} yet)", err=True)
        return
    cache = Cache.open(cache_dir)
    try:
        for key, value in cache.info().items():
            click.echo(f"{key:<9} {value}")
    finally:
        cache.close()


@cache_group.command("clear")
@common_options
def cache_clear(cache_dir: Path, quiet: bool) -> None:
    """Forget every cached answer (the gazetteer is kept).

    \b
    Example:
      $ geomap cache clear
      cleared cache/geomap-cache.sqlite
    """
    from geomap.cache import Cache

    cache = Cache.open(cache_dir)
    try:
        cache.clear()
        click.echo(f"cleared {cache.path}", err=True)
    finally:
        cache.close()


@cli.group("gazetteer", cls=_Group)
def gazetteer_group() -> None:
    """Build or inspect the offline gazetteer.

    \b
    Examples:
      $ geomap gazetteer info
      $ geomap gazetteer build --geonames allCountries.txt --alternate-names alternateNamesV2.txt
    """


@gazetteer_group.command("info")
@common_options
def gazetteer_info(cache_dir: Path, quiet: bool) -> None:
    """Show what the gazetteer holds (entries by kind and source, size, build date).

    \b
    Example:
      $ geomap gazetteer info
      {
        "path": "cache/gazetteer.sqlite",
        ...
        "built_at": "2026-11-22T05:00:53Z",
        "size_bytes": 72372224,
        "places": 243767,
        "by_feature": {"city": 234666, "admin1": 3814, ...},
        "by_source": {"geonames": 239503, "naturalearth": 4224, "cldr": 33, "composite": 7},
        ...
        "attribution": "Contains data from GeoNames (geonames.org), CC BY 4.0; ..."
      }
    """
    from geomap.gazetteer import Gazetteer

    gaz = Gazetteer.open(cache_dir)
    try:
        click.echo(json.dumps(gaz.info(), indent=2, ensure_ascii=False, default=str))
    finally:
        gaz.close()


_GEONAMES_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@gazetteer_group.command("build")
@click.option(
    "--geonames",
    "geonames",
    multiple=True,
    type=_GEONAMES_FILE,
    metavar="FILE",
    help="A GeoNames dump to import: allCountries.txt, XX.txt, cities500.txt, admin1CodesASCII.txt, "
    "countryInfo.txt (plain or .gz; repeatable).",
)
@click.option(
    "--alternate-names", type=_GEONAMES_FILE, metavar="FILE", help="GeoNames' alternateNamesV2.txt to import."
)
@click.option("--rebuild", is_flag=True, help="Rebuild the embedded default first (earlier imports follow).")
@common_options
def gazetteer_build(
    geonames: tuple[Path, ...], alternate_names: Path | None, rebuild: bool, cache_dir: Path, quiet: bool
) -> None:
    """Build the gazetteer in the cache dir, adding GeoNames dump files to the embedded default.

    The default (cities of 500+ people, countries, regions, seas, rivers, demonyms) is built on first
    use by any command; this adds your own GeoNames downloads on top, streamed in one transaction.

    \b
    Example:
      $ geomap gazetteer build --geonames AM.txt --alternate-names alternateNamesV2.txt
      imported 2 rows; cache/gazetteer.sqlite: 250,697 places, 885,526 names, 76.3 MB
      $ geomap geocode Zorbstadt
      1. Zorblatt, Syunik, Armenia  (39.51000, 46.34000)  city, pop. 12345  gn:99000001
    """
    from geomap.gazetteer import Gazetteer

    status = _StatusLine(enabled=not quiet)
    gaz = Gazetteer.open(cache_dir, rebuild=rebuild, progress=status)
    try:
        rows = 0
        if geonames or alternate_names:
            rows = gaz.import_geonames(geonames, alternate_names=alternate_names, progress=status)
        info = gaz.info()
    finally:
        gaz.close()
        status.finish()
    click.echo(
        f"imported {rows:,} rows; {info['path']}: {info['places']:,} places, {info['names']:,} names, "
        f"{int(str(info['size_bytes'])) / 1e6:.1f} MB",
        err=True,
    )


class _StatusLine:
    """The latest progress message, rewritten in place on a terminal, with the time taken so far."""

    def __init__(self, enabled: bool, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.width = 0

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.1:
            return
        self.last = now
        line = f"{message}  [{now - self.started:.0f}s]"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def finish(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="geomap", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def _place_line(rank: int, place: Place) -> str:
    pop = f", pop. {place.population}" if place.population else ""
    return f"{rank}. {place.label}  ({place.lat:.5f}, {place.lon:.5f})  {place.feature}{pop}  {place.id}"
