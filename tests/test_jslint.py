"""The browser code's house rules, run with the tests so CI holds them: oxlint (the JS
linter of the test extras, configured by .oxlintrc.json), every relative import resolving
to a module that exports the imported names (a broken move fails here before a browser
loads the page), no module-level mutable state, and no module over 300 lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "static" / "js"
MAX_LINES = 300

# import { a, b as c } from "./x.js";  import * as m from "../y.js";  import "./z.js";
IMPORT = re.compile(
    r"^\s*import\s+(?:(?P<names>\{[^}]*\}|\*\s+as\s+\w+|\w+)\s+from\s+)?[\"'](?P<path>[^\"']+)[\"']",
    re.MULTILINE,
)
REEXPORT = re.compile(
    r"^\s*export\s+\{(?P<names>[^}]*)\}\s+from\s+[\"'](?P<path>[^\"']+)[\"']", re.M
)
DECLARED = re.compile(
    r"^export\s+(?:async\s+)?(?:function\*?|class|const|let)\s+(?P<name>[\w$]+)", re.MULTILINE
)
LISTED = re.compile(r"^export\s+\{(?P<names>[^}]*)\}", re.MULTILINE)
# At column 0, outside any function: a `let`/`var`, or a collection made to be filled.
MUTABLE = re.compile(
    r"^(?:let|var)\s+\w+|^(?:export\s+)?const\s+\w+\s*=\s*new\s+(?:Weak)?(?:Map|Set)\b", re.M
)


def modules() -> list[Path]:
    return sorted(JS.rglob("*.js"))


def names_in(braces: str) -> list[tuple[str, str]]:
    """'{ a, b as c }' -> [("a", "a"), ("b", "c")]: (the name exported, the local name)."""
    out = []
    for part in braces.strip("{} \n").split(","):
        words = part.split()
        if words:
            out.append((words[0], words[-1]))
    return out


def exports_of(path: Path) -> set[str]:
    text = path.read_text()
    names = {m["name"] for m in DECLARED.finditer(text)}
    for m in LISTED.finditer(text):
        names |= {local for _, local in names_in(m["names"])}
    if re.search(r"^export\s+default\b", text, re.MULTILINE):
        names.add("default")
    return names


def import_problems(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with `path`'s relative imports: a missing file or a name it lacks."""
    text = path.read_text()
    problems = []
    found = [(m["names"], m["path"]) for m in IMPORT.finditer(text)]
    found += [("{" + m["names"] + "}", m["path"]) for m in REEXPORT.finditer(text)]
    for names, spec in found:
        where = f"{path.relative_to(root)}: {spec}"
        if not spec.startswith("."):
            problems.append(f"{where}: not a relative path (the page has no import map)")
            continue
        target = (path.parent / spec).resolve()
        if not target.is_file():
            problems.append(f"{where}: no such file")
            continue
        if names and names.startswith("{"):
            have = exports_of(target)
            for name, _ in names_in(names):
                if name not in have:
                    problems.append(f"{where}: exports no {name!r}")
        elif names and not names.startswith("*") and "default" not in exports_of(target):
            problems.append(f"{where}: has no default export")
    return problems


def test_oxlint_passes() -> None:
    oxlint = Path(sys.executable).with_name("oxlint")
    command = [str(oxlint), "--deny-warnings", "-c", ".oxlintrc.json", "static/js"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, f"oxlint failed:\n{done.stdout}\n{done.stderr}"


def test_the_linter_sees_every_module() -> None:
    """oxlint reports how many files it linted: all of static/js, none skipped."""
    oxlint = Path(sys.executable).with_name("oxlint")
    done = subprocess.run(
        [str(oxlint), "-c", ".oxlintrc.json", "static/js"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"on {len(modules())} files" in done.stdout, done.stdout


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(JS)))
def test_every_import_resolves(path: Path) -> None:
    assert import_problems(path) == []


def test_the_import_check_can_fail(tmp_path: Path) -> None:
    """The scan above finds a moved file and a renamed export."""
    (tmp_path / "a.js").write_text("export const one = 1;\nexport function two() {}\n")
    bad = tmp_path / "b.js"
    bad.write_text('import { one, three } from "./a.js";\nimport { x } from "./gone.js";\n')
    assert import_problems(bad, root=tmp_path) == [
        "b.js: ./a.js: exports no 'three'",
        "b.js: ./gone.js: no such file",
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(JS)))
def test_no_module_level_mutable_state(path: Path) -> None:
    """State lives in the store or in instances; a module's top level holds constants."""
    assert MUTABLE.findall(path.read_text()) == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(JS)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
