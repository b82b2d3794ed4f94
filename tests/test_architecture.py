"""The shape of the code (docs/design.md), checked so it holds: layers and no cycles (import-linter), all SQL
in the store, own-module imports at the top of each file, short modules, and a CLI table in step with its
commands."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "layerwise"
LONG_MODULE = 320  # lines; a longer module says at its top why it is one module
# Own-module imports allowed inside a function, each for start-up time: the entry point stays light.
LAZY_BOUNDARIES = {("layerwise.cli.main", "layerwise.library"), ("layerwise.cli.main", "layerwise.cli.nudge"),
                   ("layerwise.cli.main", "layerwise.cli.plan_view"),
                   # capture's readers, loaded only by the commands that capture (a cold `similar` or `week` saves ~20 ms)
                   ("layerwise.library", "layerwise.ingest"), ("layerwise.library", "layerwise.references"),
                   ("layerwise.library", "layerwise.capture.formats"), ("layerwise.library", "layerwise.capture.targets"),
                   ("layerwise.library", "layerwise.net")}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    return ".".join(("layerwise", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(n) for n in ast.walk(node))
    return inside


def test_import_linter_contracts_are_kept():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(PACKAGE.parents[1] / "pyproject.toml")) == 0


def test_only_the_store_runs_sql():
    """Outside store/, SQLAlchemy appears only as a type, and nothing executes statements (the one exception
    reads an Anki deck's own SQLite file, which is a file format, not the library)."""
    offenders = []
    for path in _modules():
        name = _name(path)
        if name.startswith("layerwise.store"):
            continue
        tree = ast.parse(path.read_text())
        typing_only = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only:
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(m.split(".")[0] == "sqlalchemy" for m in modules):
                    offenders.append(f"{name}:{node.lineno} imports SQLAlchemy")
                if any(m == "sqlite3" for m in modules) and name != "layerwise.reinforce.anki":
                    offenders.append(f"{name}:{node.lineno} imports sqlite3")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("execute", "executemany"):
                if name != "layerwise.reinforce.anki":
                    offenders.append(f"{name}:{node.lineno} calls .{node.func.attr}()")
    assert offenders == []


def test_own_modules_are_imported_at_the_top():
    """Imports inside functions are for heavy third-party modules (start-up time), never to hide a cycle."""
    inner = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        typing_only = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset > 0 and id(node) not in typing_only:
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                own = [m for m in modules if m.startswith("layerwise") and (_name(path), m) not in LAZY_BOUNDARIES]
                if own:
                    inner.append(f"{_name(path)}:{node.lineno}")
    assert inner == []


def test_modules_stay_short_or_say_why():
    long = []
    for path in _modules():
        lines = path.read_text().splitlines()
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if len(lines) > LONG_MODULE and "one module because" not in docstring:
            long.append(f"{_name(path)}: {len(lines)} lines")
    assert long == []


def test_cli_table_matches_every_command():
    """`layerwise --help` lists commands from a table, so it need not import them; the table must say what
    each command's own help says, and name every command there is."""
    from layerwise.cli.main import COMMANDS

    modules = {module for module, _, _ in COMMANDS.values()}
    defined = {}
    for module in modules:
        for command in importlib.import_module(f"layerwise.cli.{module}").COMMANDS:
            defined[command.name] = (module, command)
    assert set(defined) == set(COMMANDS)
    for name, (module, attr, summary) in COMMANDS.items():
        command = getattr(importlib.import_module(f"layerwise.cli.{module}"), attr)
        assert command is defined[name][1] and command.get_short_help_str(1000) == summary, name


@pytest.mark.parametrize("vocabulary, migration", [
    ("STATUSES", "0001_initial"), ("TRACKS", "0002_profile_and_plan"), ("PICK_STATES", "0002_profile_and_plan"),
    ("BUCKETS", "0002_profile_and_plan"), ("CONCEPT_LAYERS", "0003_concept_layers"), ("LINK_STATES", "0004_item_concepts"),
    ("REVIEW_CHOICES", "0009_week_reviews"),
])
def test_database_constraints_spell_the_shared_vocabularies(vocabulary, migration):
    from layerwise import vocab

    text = (PACKAGE / "store" / "migrations" / "versions" / f"{migration}.py").read_text()
    assert "(" + ", ".join(f"'{v}'" for v in getattr(vocab, vocabulary)) + ")" in text


def test_every_file_format_has_a_reader_under_its_name():
    from layerwise.capture.formats import READER_MODULES, readers

    assert list(readers()) == list(READER_MODULES)  # a module whose READER names another format is left out
