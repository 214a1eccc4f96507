"""`geomap gazetteer build` and `geomap gazetteer info`, with small files in GeoNames' own formats."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from geomap.cli import _StatusLine
from tests.helpers import geoname_row, invoke, write_dumps


@pytest.fixture
def dumps(tmp_path: Path) -> dict[str, Path]:
    return write_dumps(
        tmp_path / "dumps",
        {
            "AM.txt": geoname_row(
                99000101, "Qelvaran", "Kelvaran,Qelvaranik", 39.48, 46.12, "P", "PPL", "AM", "08", 4321
            ),
            "alternateNamesV2.txt": "1\t99000101\tde\tKelwarnstadt\t\t\t\t\t\t\n"
            "2\t99000101\tlink\thttps://example.org/Qelvaran\t\t\t\t\t\t\n",
            "admin1CodesASCII.txt": "AM.08\tSyunik\tSyunik\t409314\n",
        },
    )


def test_build_imports_a_made_up_place_found_by_its_alternate_name(
    writable_cache_dir: Path, dumps: dict[str, Path]
) -> None:
    before = invoke("geocode", "Kelwarnstadt", "--cache-dir", str(writable_cache_dir))
    assert before.exit_code == 1
    result = invoke(
        "gazetteer", "build", "--geonames", str(dumps["AM.txt"]),
        "--geonames", str(dumps["admin1CodesASCII.txt"]),
        "--alternate-names", str(dumps["alternateNamesV2.txt"]), "--cache-dir", str(writable_cache_dir),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("imported 3 rows;")  # a place, an admin-1 code, one useful name
    for name in ("Kelwarnstadt", "Kelvaran", "Qelvaran"):
        found = invoke("geocode", name, "--format", "jsonl", "--cache-dir", str(writable_cache_dir))
        first = json.loads(found.stdout.splitlines()[0])
        assert (first["id"], first["name"], first["admin1"]) == ("gn:99000101", "Qelvaran", "Syunik")
        assert (first["country_code"], first["population"]) == ("AM", 4321)


def test_info_reports_kinds_sources_size_date_and_attribution(writable_cache_dir: Path, dumps: dict[str, Path]) -> None:
    built = invoke("gazetteer", "build", "--geonames", str(dumps["AM.txt"]), "--cache-dir", str(writable_cache_dir))
    assert built.exit_code == 0
    result = invoke("gazetteer", "info", "--cache-dir", str(writable_cache_dir))
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["by_feature"]["country"] >= 190 and info["by_feature"]["city"] > 100_000
    assert {"geonames", "naturalearth"} <= set(info["by_source"])
    assert info["size_bytes"] == (writable_cache_dir / "gazetteer.sqlite").stat().st_size
    assert info["built_at"][:2] == "20"
    assert "GeoNames" in info["attribution"] and "CC BY 4.0" in info["attribution"]
    assert [row[1:] for row in info["imports"]] == [["AM.txt", 1]]


def test_bad_dump_is_one_error_line_and_imports_nothing(writable_cache_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "XX.txt"
    broken.write_text(
        geoname_row(99000102, "Brokenhalt", "", 1.0, 1.0, "P", "PPL", "XX", "", 0).replace("1.00000", "north")
    )
    result = invoke("gazetteer", "build", "--geonames", str(broken), "--cache-dir", str(writable_cache_dir))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot import") and result.stderr.count("\n") == 1
    assert invoke("geocode", "Brokenhalt", "--cache-dir", str(writable_cache_dir)).exit_code == 1


def test_missing_dump_is_misuse(cache_dir: Path, tmp_path: Path) -> None:
    result = invoke("gazetteer", "build", "--geonames", str(tmp_path / "nope.txt"), "--cache-dir", str(cache_dir))
    assert result.exit_code == 2 and "nope.txt" in result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_rewrites_itself_on_a_terminal_only() -> None:
    terminal = _Terminal()
    status = _StatusLine(enabled=True, stream=terminal)
    status("AM.txt: 10,000 places")
    status.last = 0.0  # the next message is due
    status("AM.txt: 20,000")
    status.finish()
    first, second = terminal.getvalue().split("\r")[1:]
    assert re.fullmatch(r"AM.txt: 10,000 places  \[\d+s\]", first)
    assert re.fullmatch(r"AM.txt: 20,000  \[\d+s\] +\n", second)
    assert len(second) == len(first) + 1  # padded over the longer line before it, then a newline
    piped = io.StringIO()
    quiet = _StatusLine(enabled=True, stream=piped)
    quiet("AM.txt: 10,000 places")
    quiet.finish()
    assert piped.getvalue() == ""
