"""The shape of the code base: no import cycle, the project imported through
its one namespace, the README's tree complete, and the light parts (command
line, edge runtime) free of Keras and TensorFlow. What a real install puts
in site-packages: tests/test_edge.py, in a new virtual environment."""

import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Folder in the checkout → the package it installs as (pyproject.toml).
PACKAGES = {"keras_resnet": "keras_resnet", "training": "keras_resnet.training",
            "export": "keras_resnet.export", "edge": "keras_resnet.edge",
            "experiments": "keras_resnet.experiments", "demo": "keras_resnet.demo",
            "cli": "keras_resnet.cli"}


def _modules():
    """{module name: path} of every installed module."""
    modules = {}
    for folder, package in PACKAGES.items():
        for directory, _, files in os.walk(os.path.join(ROOT, folder)):
            relative = os.path.relpath(directory, os.path.join(ROOT, folder))
            prefix = package if relative == "." else f"{package}.{relative.replace(os.sep, '.')}"
            for name in files:
                if name.endswith(".py"):
                    stem = name[:-3]
                    modules[prefix if stem == "__init__" else f"{prefix}.{stem}"] = \
                        os.path.join(directory, name)
    return modules


def _imports(path, known):
    """The project modules that the file at `path` imports, at any depth
    (module level or inside functions)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                     else node.module for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                result.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return result


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert len(graph) > 60
    assert graph["keras_resnet.export.convert"] >= {"keras_resnet.export.tuned",
                                                    "keras_resnet.export.variants"}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_sources_import_the_project_only_through_its_namespace():
    old = ("training", "export", "edge", "experiments", "demo", "cli", "resnet_edge",
           "resnet_cli")
    for name, path in _modules().items():
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert not set(roots) & set(old), f"{name}: line {node.lineno}"


def test_only_the_naming_module_parses_layer_names():
    """Structure is recorded while building (keras_resnet.network): no other
    module reads it back from names with a regular expression."""
    naming = os.path.join(ROOT, "keras_resnet", "naming.py")
    for name, path in _modules().items():
        if path == naming:
            continue
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                pattern = str(node.args[0].value)
                assert not any(part in pattern for part in ("conv", "block", "_out", "post")), \
                    f"{name}: line {node.lineno} parses layer names ({pattern!r})"


def test_no_module_is_much_over_250_lines():
    sizes = {name: sum(1 for _ in open(path)) for name, path in _modules().items()}
    assert max(sizes.values()) <= 260, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


@pytest.mark.slow
def test_the_readme_tree_names_every_module():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    tree = text[text.index("## How it is built"):text.index("Two rules keep it easy")]
    for folder in PACKAGES:
        assert f"\n{folder}/ " in tree, folder
        for name in os.listdir(os.path.join(ROOT, folder)):
            if name.endswith(".py") and name != "__init__.py" and folder != "cli":
                assert name in tree, f"{folder}/{name}"


@pytest.mark.parametrize("code", [
    "from keras_resnet.cli import main; main(['summary', 'ResNet21'])",
    "from keras_resnet.cli import main; main(['export', 'missing.keras'])",
    "from keras_resnet.cli import main; main(['import-weights', 'x.pth', 'y.keras'])",
    "import keras_resnet.edge, keras_resnet.export.variants; keras_resnet.list_models()",
])
def test_the_light_parts_import_neither_keras_nor_tensorflow(code):
    check = (f"import sys; {code}; heavy = {{'keras', 'tensorflow'}} & set(sys.modules); "
             "assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_import_keras_resnet_registers_its_layers_whenever_keras_loads():
    # TensorFlow looks Keras up before it loads it: the look-up must not count.
    for order in ("import keras_resnet, keras", "import keras, keras_resnet",
                  "import keras_resnet, tensorflow; import keras"):
        check = (f"{order}; import keras.saving; "
                 "assert keras.saving.get_registered_object('keras_resnet>ZeroPadShortcut'); "
                 "assert keras.saving.get_registered_object('keras_resnet>DropPath')")
        result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, (order, result.stderr[-2000:])
