"""Imports: xstore/ loads no torch, transformers or textattack, and no module of xstore/ or runners/ is part
of an import cycle."""

import ast
import subprocess
import sys

from conftest import ROOT

HEAVY = ("torch", "transformers", "textattack")
# Where each installed package's source lives (pyproject.toml's package-dir).
PACKAGES = {"xstore": ROOT / "xstore", "xstore.runners": ROOT / "runners", "xstore.migrations": ROOT / "migrations"}


def _modules() -> dict[str, object]:
    """Dotted name -> source file of every module of xstore/, runners/ and migrations/."""
    out = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


def _imports(name: str, path, modules: dict) -> set[str]:
    """The modules of ours that `name` imports anywhere in its source (inside functions too: a lazy import
    is still a dependency), except under `if TYPE_CHECKING:`, which never runs."""
    found, todo = set(), list(ast.parse(path.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            # `from package import submodule` imports the submodule; `from module import name`, the module
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names)
    return {target for target in found if target in modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing itself), by
    Tarjan's algorithm."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1 or node in edges[node]:
                out.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return out


def test_no_import_cycle_in_xstore_or_runners():
    modules = _modules()
    assert len(modules) > 50 and "xstore.cells" in modules and "xstore.runners.train" in modules
    edges = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert edges["xstore.fill"] >= {"xstore.cells", "xstore.executors"}  # the parser sees what is there
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}, "b": set()}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_xstore_modules_and_the_cli_stay_light():
    """Importing every module of xstore/ (runners/ excepted: they import torch when they compute) loads
    none of torch, transformers or textattack, and `xstore --help` neither."""
    names = [name for name in _modules() if not name.startswith("xstore.runners.") and name != "xstore.__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "import xstore.cli\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(xstore.cli.app, ['--help'])\n"
        "assert result.exit_code == 0 and 'fill' in result.output, result.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
