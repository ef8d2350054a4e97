"""The package's imports go down its layers, and no module imports itself back in a cycle.

`LAYERS` is the order docs/development.md draws, lowest first. A name stands for that module and
everything under it; the longest name that covers a module places it (`protocol.writes` sits above
the rest of `protocol`). A module may import its own layer and the layers below, nothing above.
Every import counts, those inside functions and under `TYPE_CHECKING` too: a type named from a
higher layer ties the lower one to it all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import customer_async

PACKAGE = "customer_async"
ROOT = "__init__"
"""The package's own `__init__` (the version), as `LAYERS` names it."""


@dataclass(frozen=True)
class Layer:
    """Modules at one height: what they are, and the names that place them here."""

    name: str
    holds: str
    modules: tuple[str, ...]


LAYERS: tuple[Layer, ...] = (
    Layer(
        "vocabulary",
        "the types every layer speaks, the errors, the settings; tools that import nothing of ours",
        (ROOT, "types", "errors", "settings", "settings_docs", "log_limits", "offsets", "batching"),
    ),
    Layer(
        "domain",
        "customers as documents: schemas, names, ids, events, queries, patches, error replies",
        ("schemas", "attribute_names", "customer_ids", "events", "query", "patch", "replies"),
    ),
    Layer(
        "records",
        "a Kafka record as plain data, decoded into a command, encoded from a reply",
        ("edge.records", "edge.decode", "edge.encode"),
    ),
    Layer(
        "interfaces",
        "what the parts publish, count and trace through, with do-nothing defaults",
        ("interfaces",),
    ),
    Layer(
        "bookkeeping",
        "the delivery protocol's records, leases, retry policy, lanes, window and ledger",
        ("protocol",),
    ),
    Layer(
        "store",
        "customers in MongoDB or FerretDB, through PyMongo",
        ("store",),
    ),
    Layer("handlers", "the five operations: reads answer, writes decide a change", ("handlers",)),
    Layer(
        "delivery",
        "answering, and the write path and sweep that decide through the handlers",
        ("answering", "protocol.writes", "protocol.sweep"),
    ),
    Layer("edge", "aiokafka: consumer, producer, topics, login", ("edge",)),
    Layer("client", "the callers' request/reply client", ("client",)),
    Layer("ops", "metrics, tracing, JSON logs, readiness, the operations port", ("ops",)),
    Layer(
        "service",
        "the dispatcher, the wired service and its consume loop, the command line",
        ("dispatch", "service", "cli", "__main__"),
    ),
)

Graph = Mapping[str, frozenset[str]]
"""Each module (named inside the package) and the package modules it imports."""


def package_modules(directory: Path) -> dict[str, Path]:
    """Every module of the package under `directory`, by its name inside the package."""
    found: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.py")):
        parts = path.relative_to(directory).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(node: ast.Import | ast.ImportFrom, module: str, known: Mapping[str, Path]) -> set[str]:
    """The package modules `node` imports (`from customer_async.ops import otel`: ops.otel)."""
    if isinstance(node, ast.Import):
        return {m for alias in node.names if (m := _inside(alias.name, known)) is not None}
    base = node.module or ""
    if node.level:  # relative: from the module's package, one level up per dot after the first
        here = [PACKAGE, *([] if module == ROOT else module.split("."))]
        if known[module].name != "__init__.py":
            here.pop()
        base = ".".join([*here[: len(here) - node.level + 1], *filter(None, [node.module])])
    taken = {alias.name: _inside(f"{base}.{alias.name}", known) for alias in node.names}
    modules = {m for m in taken.values() if m is not None}
    if None in taken.values() and (package := _inside(base, known)) is not None:
        modules.add(package)  # a name defined in `base` itself
    return modules


def _inside(absolute: str, known: Mapping[str, Path]) -> str | None:
    """`absolute` as the package module it names, if it names one."""
    if absolute == PACKAGE:
        return ROOT
    prefix = f"{PACKAGE}."
    if absolute.startswith(prefix) and absolute[len(prefix) :] in known:
        return absolute[len(prefix) :]
    return None


def import_graph(directory: Path) -> Graph:
    """The package's modules under `directory`, each with the package modules it imports."""
    known = package_modules(directory)
    graph: dict[str, frozenset[str]] = {}
    for module, path in known.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                imported |= _imports(node, module, known)
        graph[module] = frozenset(imported - {module})
    return graph


def layer_of(module: str, layers: Sequence[Layer]) -> int | None:
    """The index of the layer whose longest name covers `module`, or None."""
    covering = [
        (len(name), index)
        for index, layer in enumerate(layers)
        for name in layer.modules
        if module == name or module.startswith(f"{name}.")
    ]
    return max(covering)[1] if covering else None


def unplaced(graph: Graph, layers: Sequence[Layer]) -> list[str]:
    """Modules no layer covers."""
    return sorted(m for m in graph if layer_of(m, layers) is None)


def upward_imports(graph: Graph, layers: Sequence[Layer]) -> list[str]:
    """Each import of a higher layer, as `importer (layer) imports imported (layer)`."""
    found = []
    for module, imported in sorted(graph.items()):
        low = layer_of(module, layers)
        for target in sorted(imported):
            high = layer_of(target, layers)
            if low is not None and high is not None and high > low:
                found.append(
                    f"{module} ({layers[low].name}) imports {target} ({layers[high].name})"
                )
    return found


def import_cycle(graph: Graph) -> list[str]:
    """Modules that import each other in a circle, each importing the next; none: empty."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(reversed(error.args[1]))  # graphlib lists each module's importer after it
    return []


GRAPH = import_graph(Path(customer_async.__file__).parent)


def test_every_module_has_a_layer() -> None:
    """A new module takes its place in `LAYERS` (and in docs/development.md)."""
    assert unplaced(GRAPH, LAYERS) == []


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(GRAPH, LAYERS) == []


def test_no_modules_import_each_other_in_a_cycle() -> None:
    assert import_cycle(GRAPH) == []


def test_the_check_finds_an_upward_import_an_unplaced_module_and_a_cycle(tmp_path: Path) -> None:
    """The checks above would fail: shown on a small package made for it."""
    package = tmp_path / PACKAGE
    (package / "ops").mkdir(parents=True)
    sources = {
        "__init__.py": "",
        "types.py": "from customer_async.ops import metrics\n",
        "errors.py": "import customer_async.types\n",
        "stray.py": "",
        "ops/__init__.py": "",
        "ops/metrics.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .tracing import Tracing\n",
        "ops/tracing.py": "def load():\n    from customer_async.ops import metrics\n",
    }
    for name, text in sources.items():
        (package / name).write_text(text)
    layers = (
        Layer("low", "", (ROOT, "types", "errors")),
        Layer("high", "", ("ops",)),
    )
    graph = import_graph(package)
    assert graph["errors"] == {"types"}
    assert unplaced(graph, layers) == ["stray"]
    assert upward_imports(graph, layers) == ["types (low) imports ops.metrics (high)"]
    assert import_cycle(graph) in (
        ["ops.metrics", "ops.tracing", "ops.metrics"],
        ["ops.tracing", "ops.metrics", "ops.tracing"],
    )
