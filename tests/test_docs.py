"""The README documents the CLI: every command and option, and a Quick start of exactly two commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from geomap.cli import cli
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group = cli, prefix: str = "geomap") -> Iterator[tuple[str, click.Command]]:
    """Every command under the group, by its full name ("geomap gazetteer build")."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


ALL = list(commands())


def test_the_walk_finds_the_commands() -> None:
    names = {path for path, _ in ALL}
    assert {"geomap map", "geomap parse", "geomap cache info", "geomap gazetteer build"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[path for path, _ in ALL])
def test_every_command_is_in_the_readme(path: str, command: click.Command) -> None:
    assert path in README, f"README.md does not mention `{path}`"


def _options() -> dict[str, list[str]]:
    """Every long option, with the commands that take it."""
    found: dict[str, list[str]] = {}
    for path, command in [("geomap", cli), *ALL]:
        for param in command.params:
            if isinstance(param, click.Option):
                for option in param.opts + param.secondary_opts:
                    if option.startswith("--") and option != "--help":
                        found.setdefault(option, []).append(path)
    return dict(sorted(found.items()))


OPTIONS = _options()


@pytest.mark.parametrize("option", list(OPTIONS))
def test_every_long_option_is_in_the_readme(option: str) -> None:
    documented = re.search(re.escape(option) + r"(?![\w-])", README)
    assert documented, f"README.md does not mention {option} (of {', '.join(OPTIONS[option])})"


def test_quick_start_is_one_block_of_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1
    lines = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]
    assert [line for line in lines if line] == ["make map", "make test"]


def test_makefile_runs_what_the_quick_start_promises() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^map: .*\n\t.*geomap map seeds", makefile, flags=re.MULTILINE)
    assert re.search(r"^test: .*\n\t.*pytest", makefile, flags=re.MULTILINE)


def test_the_module_map_lists_every_module() -> None:
    section = README.split("## How it works", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^  ([a-z_/]+\.py) ", section, flags=re.MULTILINE))
    package = REPO / "geomap"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py") if not p.name.startswith("__")}
    assert documented == modules


def test_make_bench_runs_every_benchmark() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    run = set(re.findall(r"benchmarks/([a-z_]+\.py)", recipe))
    assert run == {p.name for p in (REPO / "benchmarks").glob("*.py")}
    assert all((REPO / "benchmarks" / name).is_file() for name in run)


MAP_EXAMPLE = "geomap map seeds/ -o out/map.html --geojson out/places.geojson --csv out/mentions.csv"


def _documented_output(text: str, command: str) -> list[str]:
    """The lines shown after `$ command` in a README block or a --help example, up to the block's end."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"$ {command}")
    out = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.strip().startswith(("$", "```")):
            break
        out.append(line.strip())
    return out


def test_the_documented_map_example_prints_what_map_prints(cache_dir: Path, tmp_path: Path) -> None:
    # the README and `geomap map --help` show the seeds' figures: running the example keeps them true
    from click.testing import CliRunner

    out = tmp_path / "out"
    args = MAP_EXAMPLE.replace("out/", f"{out}/").split()[1:] + ["--cache-dir", str(cache_dir)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = [line.replace(f"{out}/", "out/") for line in result.stderr.splitlines() if line.strip()]
    assert _documented_output(README, MAP_EXAMPLE) == printed
    help_text = cli.commands["map"].help or ""
    assert _documented_output(help_text, MAP_EXAMPLE) == printed


def test_the_documented_library_example_prints_what_it_shows(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the README's first Python example, run as written (its "cache" and "seeds/" are here), prints its block
    section = README[README.index("### Library use from Python") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    shown = section[section.index("```console\n") + len("```console\n") :]
    shown = shown[: shown.index("```")]
    monkeypatch.chdir(cache_dir.parent)  # cache_dir is a folder called "cache"
    (cache_dir.parent / "seeds").symlink_to(REPO / "seeds")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})  # noqa: S102 - the README's own code
    assert capsys.readouterr().out == shown


def test_the_public_api_is_importable_from_the_package_without_loading_spacy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, geomap\n"
        "assert 'spacy' not in sys.modules and 'folium' not in sys.modules\n"
        "from geomap import Pipeline, Settings, write_map, Gazetteer, OfflineGeocoder, Article, Place\n"
        "import geomap.pipeline, geomap.render\n"
        "assert Pipeline is geomap.pipeline.Pipeline and write_map is geomap.render.write_map\n"
        "assert set(geomap.__all__) == set(geomap._PUBLIC)\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr
    assert (REPO / "geomap" / "py.typed").is_file()
