"""The package is laid out by concern (docs/layout.md): a few modules at the top, one package per
concern, and every import pointing down the stack. Read from the code's own imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sms_contract"

# The stack, top to bottom. A module may import its own package and anything in a lower
# layer; packages that share a layer are siblings and never import each other.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "__main__", "pytest_plugin"}),  # the front doors and the face
    frozenset({"cli"}),
    frozenset({"reporting"}),
    frozenset({"drift"}),
    frozenset({"run", "proxy"}),  # a planned run; watching an application's own traffic
    frozenset({"recordings"}),
    frozenset({"checks"}),
    frozenset({"strategies", "simulator", "client", "testing"}),
    frozenset({"spec", "transports"}),
    frozenset({"redaction"}),  # the one scrubbing rule set, over the HTTP values
    frozenset({"errors", "exchange", "outcomes"}),  # the shared values
)
TOP_LEVEL_MODULES = {
    "__init__",  # the public face
    "__main__",
    "errors",
    "exchange",
    "outcomes",
    "redaction",
    "testing",
    "pytest_plugin",
}
SUBCOMMANDS = {"run", "checks", "record", "fidelity", "drift", "serve", "diff-spec", "proxy"}
# What a module may take from the package face: the version, which the face defines before it
# imports anything.
FROM_THE_FACE = {"__version__"}


def _unit(module: str) -> str:
    """The package (or top-level module) a dotted module name belongs to."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _rank(unit: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if unit in layer:
            return rank
    raise AssertionError(f"sms_contract.{unit} is in no layer of the stack; add it to LAYERS")


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["sms_contract", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import of sms_contract in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "sms_contract":
                yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sms_contract":
                    yield node.lineno, alias.name, []


def _violations() -> Iterator[str]:
    for module, path in _modules():
        own = _unit(module) if module != "sms_contract" else "__init__"
        if module.endswith("__main__"):
            own = "__main__"
        for line, imported, names in _imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if imported == "sms_contract":
                submodules = [
                    n for n in names if (PACKAGE / n).is_dir() or (PACKAGE / f"{n}.py").is_file()
                ]
                extra = set(names) - FROM_THE_FACE - set(submodules)
                if extra and own != "__init__":
                    yield f"{where}: {module} imports {sorted(extra)} from the package face"
                targets = [f"sms_contract.{n}" for n in submodules]
            else:
                targets = [imported]
            for target in targets:
                unit = _unit(target)
                if unit == own:
                    continue
                if _rank(unit) < _rank(own):
                    yield f"{where}: {module} imports {target}, which is above it in the stack"
                elif _rank(unit) == _rank(own) and own != "__init__":
                    yield f"{where}: {module} imports its sibling {target}"


def test_every_import_points_down_the_stack() -> None:
    """No module imports a package above it or beside it; so there is no cycle between
    packages either."""
    found = list(_violations())
    assert not found, "imports that climb or cross:\n" + "\n".join(found)


def test_no_import_cycle_between_modules() -> None:
    """No chain of module-level imports leads from a module back to itself."""
    graph: dict[str, set[str]] = {}
    known = {name for name, _ in _modules()}
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = graph.setdefault(module, set())
        for node in tree.body:  # module level only: an import inside a function is lazy
            if isinstance(node, ast.ImportFrom) and node.module in known and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in known else node.module)
    for name in graph:
        graph[name].discard(name)

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    return [*trail, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    # The face imports its packages and they may import its constant; that is not a cycle.
    graph["sms_contract"] = set()
    cycles = [c for c in (cycle_from(m) for m in graph) if c is not None]
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_few_modules_at_the_top_level() -> None:
    """Everything but the face, the error tree, the shared values and the front doors lives in
    a package named for its concern."""
    found = {path.stem for path in PACKAGE.glob("*.py")}
    assert found <= TOP_LEVEL_MODULES, (
        f"unexpected top-level modules: {sorted(found - TOP_LEVEL_MODULES)}"
    )
    assert len(found) <= 8


def test_every_subcommand_lives_in_the_cli_package() -> None:
    """Each subcommand registers from a module of sms_contract/cli/, and nothing else adds one."""
    registering = []
    for module, path in _modules():
        if "add_parser(" in path.read_text(encoding="utf-8"):
            registering.append(module)
    assert registering
    assert all(m.startswith("sms_contract.cli.") for m in registering), registering
    from sms_contract.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert set(commands.choices) == SUBCOMMANDS  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "package",
    sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()),
)
def test_subpackages_do_not_re_export(package: str) -> None:
    """A name has one address: a subpackage's ``__init__`` re-exports nothing (only the
    package face, ``sms_contract/__init__.py``, gathers the public names)."""
    tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("sms_contract")
        for alias in node.names
        if not (PACKAGE / package / f"{alias.name}.py").is_file()
    }
    exported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported = {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    } | {
        node.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    re_exported = sorted((imported & exported) | (imported - used))
    assert not re_exported, f"sms_contract.{package} re-exports {re_exported}"
