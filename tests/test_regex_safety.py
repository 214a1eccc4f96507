"""Every regular expression geomap applies to text runs in linear time, whatever the text.

Article text is untrusted: a pattern with nested optional repeats can backtrack for minutes on a run of
capitals or of capitalised words (a denial of service anyone can mail us). Each pattern the package
compiles (module level, or in a module-level tuple/list/dict) is fed its worst cases: long runs of capitals,
capitalised words, whitespace and punctuation, and runs of the words the pattern itself looks for. A linear
pattern handles 20,000 such characters in milliseconds; a quadratic one needs seconds, a catastrophic one
never finishes. The checks run in a child process with a timeout, so a pattern that hangs fails the test.

Patterns written inline (``re.match(r"...", text)``) would escape this test, so another test forbids them.
"""

from __future__ import annotations

import ast
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geomap"
SIZE = 20_000  # characters of hostile text per input
PER_INPUT_SECONDS = 0.25  # a linear pattern takes a few ms on one input; a quadratic one, seconds
LIMIT_SECONDS = 20.0  # past this (all of one pattern's inputs) a pattern is stopped and counted as hanging

_CHILD = r"""
import importlib, json, pkgutil, re, sys, time
import geomap

SIZE, FIRST = int(sys.argv[1]), int(sys.argv[2])

def patterns():
    seen = set()
    for info in sorted(pkgutil.walk_packages(geomap.__path__, "geomap."), key=lambda i: i.name):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, dict):
                value = list(value.values())
            for item in value if isinstance(value, (tuple, list)) else [value]:
                for part in (item if isinstance(item, tuple) else (item,)):
                    if isinstance(part, re.Pattern) and id(part) not in seen:
                        seen.add(id(part))
                        yield f"{info.name}.{name}", part

def repeat(unit):
    return (unit * (SIZE // max(1, len(unit)) + 1))[:SIZE]

GENERIC = [
    "A", "A ", "Ab ", "AB ", "ABCDEFGHIJ ", "Abc, ", "Abc-", "A.", "A. ", "A'", "Abc and ", " ", "\t ", "\n",
    "\n\n ", ",", ", ", ". ", "-", " - ", "—", "1", "12 ", "<!--", "**a ", "`a", "[a](", "![", "# ", "---\n",
    "by ", "a", "é ", "ABC — ", "(", "'s ", "’",
]

def inputs(pattern):
    words = sorted(set(re.findall(r"[A-Za-z]{2,}", pattern.pattern)))
    units = GENERIC + [w + " " for w in words] + [w.title() + " of " for w in words] + [w.upper() + ", " for w in words]
    for unit in units:
        yield "Abc " + repeat(unit) + " x"  # a word before, and a letter after that ends every run

for index, (name, pattern) in enumerate(patterns()):
    if index < FIRST:
        continue
    print(json.dumps(["begin", index, name]), flush=True)
    worst = 0.0
    for text in inputs(pattern):
        start = time.process_time()  # the child's processor time: what other busy processes do not inflate
        pattern.match(text)
        for _ in pattern.finditer(text):  # every offset, as search() would try them
            pass
        worst = max(worst, time.process_time() - start)
    print(json.dumps(["took", index, name, worst]), flush=True)
"""


def _time_patterns() -> dict[str, float]:
    """Seconds each pattern took on its worst hostile input; a pattern that runs past the limit counts as inf
    (its child is killed and a new one goes on with the next pattern)."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    timed: dict[str, float] = {}
    first = 0
    while True:
        with subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(SIZE), str(first)], stdout=subprocess.PIPE, text=True, env=env
        ) as child:
            finished, first = _follow(child, timed)
        if finished:
            return timed


def _follow(child: subprocess.Popen[str], timed: dict[str, float]) -> tuple[bool, int]:
    """Read one child's reports into `timed`: (True, _) when it got through every pattern, else (False, the
    index to start the next child at) after killing it on a pattern that ran past the limit."""
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in child.stdout or ()] + [lines.put("")])
    reader.start()
    current: tuple[int, str] | None = None
    deadline = time.monotonic() + 60  # imports
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            child.kill()
            child.wait()
            reader.join()
            assert current is not None, "the child did not start"
            timed[current[1]] = math.inf
            return False, current[0] + 1
        if not line:
            reader.join()
            assert child.wait() == 0, "the child failed"
            return True, 0
        event = json.loads(line)
        if event[0] == "begin":
            current = (event[1], event[2])
            deadline = time.monotonic() + LIMIT_SECONDS
        else:
            timed[event[2]] = event[3]
            deadline = time.monotonic() + 60


def test_every_pattern_is_linear_on_hostile_text() -> None:
    timed = _time_patterns()
    assert len(timed) >= 30, "the child found too few patterns: is the package importable?"
    slow = {name: round(seconds, 2) for name, seconds in timed.items() if seconds > PER_INPUT_SECONDS}
    assert not slow, f"not linear on hostile text (worst input, s; inf: stopped after {LIMIT_SECONDS} s): {slow}"


_RE_FUNCTIONS = frozenset({"match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split"})


def _inline_patterns(path: Path) -> list[str]:
    """Calls such as re.search(r"...", text) or re.search(rf"...", text): patterns the test above cannot see."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _RE_FUNCTIONS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
        ):
            found.append(f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("**/*.py")), ids=lambda p: p.name)
def test_patterns_are_compiled_where_the_safety_test_sees_them(path: Path) -> None:
    assert _inline_patterns(path) == [], "compile the pattern at module level so test_regex_safety checks it"
