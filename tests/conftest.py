"""Shared fixtures. No test may reach the network: any socket to a non-loopback address fails the test."""

from __future__ import annotations

import ipaddress
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from geomap.models import Article
from tests.helpers import StandInNominatim

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def seed_paragraphs() -> list[str]:
    """The long paragraphs of the seed articles: real news prose to build test corpora from."""
    return [
        line.strip()
        for seed in sorted(SEEDS.glob("*.txt"))
        for line in seed.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) >= 200
    ]


def dispatch_records(count: int, *, each: int, step: int) -> list[dict[str, str]]:
    """`count` distinct numbered articles ("a0", "a1"...) of `each` seed paragraphs, the i-th starting at i*step."""
    paragraphs = seed_paragraphs()
    return [
        {
            "id": f"a{i}",
            "title": f"Article {i}",
            "text": f"Dispatch {i}.\n\n"
            + "\n\n".join(paragraphs[(i * step + k) % len(paragraphs)] for k in range(each)),
        }
        for i in range(count)
    ]


def endless_articles(numbers: Iterator[int]) -> Iterator[Article]:
    """Distinct articles of seed prose, one per number drawn from `numbers`, for as long as they are read:
    what has been drawn from `numbers` tells how much of an input a run read."""
    paragraphs = seed_paragraphs()
    for i in numbers:
        yield Article(id=f"n{i}", text=paragraphs[i % len(paragraphs)] + f" ({i})")


def interruptible() -> None:
    """For `preexec_fn`: Ctrl-C (SIGINT) reaches a child as it would from an interactive shell, even when the test
    suite itself runs in the background of a non-interactive shell, which makes its children ignore SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False
    return isinstance(address, (str, bytes))  # AF_UNIX paths are local


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to open a non-loopback socket to {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to open a non-loopback socket to {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def gazetteer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache dir holding the default gazetteer, built once per test session."""
    from geomap.gazetteer import Gazetteer

    path = tmp_path_factory.mktemp("gazetteer-cache")
    Gazetteer.open(path).close()
    return path


@pytest.fixture(scope="session")
def gazetteer(gazetteer_dir: Path) -> Iterator[object]:
    from geomap.gazetteer import Gazetteer

    gaz = Gazetteer.open(gazetteer_dir)
    yield gaz
    gaz.close()


@pytest.fixture
def cache_dir(gazetteer_dir: Path, tmp_path: Path) -> Path:
    """A fresh cache dir per test that shares the session's gazetteer (copied, so tests stay independent)."""
    import shutil

    from geomap.gazetteer import DEFAULT_FILENAME

    target = tmp_path / "cache"
    target.mkdir()
    shutil.copy2(gazetteer_dir / DEFAULT_FILENAME, target / DEFAULT_FILENAME)
    return target


@pytest.fixture(scope="module")
def cache_dir_module(gazetteer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like `cache_dir`, shared by the tests of one module."""
    import shutil

    from geomap.gazetteer import DEFAULT_FILENAME

    target = tmp_path_factory.mktemp("cache")
    shutil.copy2(gazetteer_dir / DEFAULT_FILENAME, target / DEFAULT_FILENAME)
    return target


@pytest.fixture(scope="session")
def nominatim_server() -> Iterator[StandInNominatim]:
    with StandInNominatim() as server:
        yield server


@pytest.fixture
def nominatim(nominatim_server: StandInNominatim) -> Iterator[StandInNominatim]:
    """The session's stand-in Nominatim on 127.0.0.1 (tests/helpers.py), with no requests counted yet."""
    nominatim_server.reset()
    yield nominatim_server
    nominatim_server.reset()
