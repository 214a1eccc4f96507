"""Shared fixtures. No test may reach the network: any socket to a non-loopback address fails the test."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from geomap.models import Article
from tests.helpers import StandInNominatim

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


# The test files that take longest, in the order they should start. Under xdist each worker takes whole files
# in collection order (pyproject: --dist loadfile --no-loadscope-reorder), so these go first and the quick files
# fill the gaps after them, rather than one worker finishing alone on a long file. test_install comes second:
# its pip install keeps one worker busy while the other builds the session's gazetteer.
SLOW_FILES = ("test_dask.py", "test_install.py", "test_robustness.py", "test_jobs.py", "test_long_text.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))  # stable: the rest keep their order


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


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every pytest-xdist worker of the run shares (the workers' own temp folders
    are inside it); without xdist, the session's temp folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def gazetteer_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache dir holding the default gazetteer, built once per test run and shared read-only by every test
    (and every xdist worker: the build lock that serialises concurrent `geomap` runs makes the second worker
    wait for the first one's build, then open it). Tests must not write into it: `cache_dir` checks that after
    each test, and this fixture at the end of the session."""
    from geomap.gazetteer import DEFAULT_FILENAME, Gazetteer

    path = _run_folder(tmp_path_factory) / "gazetteer-cache"
    Gazetteer.open(path).close()
    built = _gazetteer_state(path / DEFAULT_FILENAME)
    yield path
    assert _gazetteer_state(path / DEFAULT_FILENAME) == built, f"a test changed the session's gazetteer in {path}"


@pytest.fixture(scope="session")
def gazetteer(gazetteer_dir: Path) -> Iterator[object]:
    from geomap.gazetteer import Gazetteer

    gaz = Gazetteer.open(gazetteer_dir)
    yield gaz
    gaz.close()


def _gazetteer_state(path: Path) -> tuple[int, int, int]:
    found = path.stat()
    return found.st_ino, found.st_size, found.st_mtime_ns


@pytest.fixture(scope="session")
def shared_gazetteer(gazetteer_dir: Path) -> tuple[Path, tuple[int, int, int]]:
    """The session's gazetteer file, and its state (inode, size, modification time)."""
    from geomap.gazetteer import DEFAULT_FILENAME

    path = gazetteer_dir / DEFAULT_FILENAME
    return path, _gazetteer_state(path)


def _sharing_cache_dir(shared: tuple[Path, tuple[int, int, int]], target: Path) -> Iterator[Path]:
    """`target`, a new cache dir whose gazetteer is a symbolic link to the session's (SQLite opens the file it
    points to; a rebuild would replace the link, not the file). Its answer and article cache is its own. After
    the test(s), the session's file must be as it was: a test that writes into the gazetteer (an import) takes
    `writable_cache_dir` instead, and a test that wrote through the link fails here rather than spoil others."""
    from geomap.gazetteer import DEFAULT_FILENAME

    path, state = shared
    target.mkdir(parents=True, exist_ok=True)
    (target / DEFAULT_FILENAME).symlink_to(path)
    yield target
    assert _gazetteer_state(path) == state, (
        f"the session's shared gazetteer {path} was changed through {target}: use writable_cache_dir"
    )


@pytest.fixture
def cache_dir(shared_gazetteer: tuple[Path, tuple[int, int, int]], tmp_path: Path) -> Iterator[Path]:
    """A fresh cache dir per test that reads the session's gazetteer (shared, not copied; see
    `_sharing_cache_dir`), with an answer and article cache of its own."""
    yield from _sharing_cache_dir(shared_gazetteer, tmp_path / "cache")


@pytest.fixture(scope="module")
def cache_dir_module(
    shared_gazetteer: tuple[Path, tuple[int, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Like `cache_dir`, shared by the tests of one module."""
    yield from _sharing_cache_dir(shared_gazetteer, tmp_path_factory.mktemp("cache"))


@pytest.fixture
def writable_cache_dir(gazetteer_dir: Path, tmp_path: Path) -> Path:
    """A fresh cache dir with a copy of the session's gazetteer of its own, for a test that imports into it."""
    import shutil

    from geomap.gazetteer import DEFAULT_FILENAME

    target = tmp_path / "cache"
    target.mkdir()
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
