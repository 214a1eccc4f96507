"""An install that keeps working: a plain `python -m venv` (with the old pip that ensurepip bundles, not an
upgraded one) installs geomap from its source with the pinned versions, and the installed command reads an HTML
page and a PDF (the readers whose dependencies an older pip used to leave out) and maps their places."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.test_pdf import _report

PAGE = """<!doctype html>
<html><head><title>Floods close roads near Seville</title>
<link rel="canonical" href="https://news.example/seville-floods"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/madrid">Madrid</a></nav>
<article><h1>Floods close roads near Seville</h1>
<p>Heavy rain flooded roads around Seville on Tuesday, and trains to Cordoba were cancelled, the regional
government of Andalusia said. Emergency teams were sent from Malaga and Cadiz.</p>
<p>Forecasters expect more rain across southern Spain until the weekend, with the Guadalquivir river
rising near Seville.</p></article>
<footer>Contact us</footer></body></html>
"""


def test_a_plain_venv_installs_geomap_from_source_and_it_reads_html_and_pdf(tmp_path: Path, cache_dir: Path) -> None:
    source = tmp_path / "src"  # what an sdist holds: building in the repository would write into it
    shutil.copytree(REPO / "geomap", source / "geomap", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-c", source / "constraints.txt", str(source)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, (pip.stdout, install.stderr[-3000:])

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "seville.html").write_text(PAGE, encoding="utf-8")
    _report(inputs / "armenia.pdf")
    run = subprocess.run(
        [venv / "bin" / "geomap", "parse", inputs, "--cache-dir", cache_dir, "-j", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # not the repository: the installed package, not the source tree, is imported
    )
    assert run.returncode == 0, (pip.stdout, run.stderr)  # nothing skipped ("internal error: ImportError"...)
    records = {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}
    assert set(records) == {"seville", "armenia"}
    assert records["seville"]["url"] == "https://news.example/seville-floods"
    assert {"Seville", "Cordoba", "Malaga", "Spain"} <= {m["text"] for m in records["seville"]["mentions"]}
    assert "Madrid" not in {m["text"] for m in records["seville"]["mentions"]}  # the navigation was left out
    assert {"Yerevan", "Syunik"} <= {m["text"] for m in records["armenia"]["mentions"]}
