"""The folder tree is the architecture (docs/architecture.md): topics are packages, imports point one way."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("households", "review", "publicity", "archives")
PREFIXES = ("case_", "dynamic_", "relative_", "ledger_", "policy_", "audit_", "document_", "archive_")


def test_no_topic_prefixed_module_at_an_app_top_level():
    found = [
        f"{app}/{path.name}" for app in APPS for path in (ROOT / app).glob("*.py") if path.name.startswith(PREFIXES)
    ]
    assert found == []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):  # lazy imports inside functions count too
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_point_one_way():
    """households ← review ← publicity/archives: an app never imports one built on it."""
    later = {"households": ("review", "publicity", "archives"), "review": ("publicity", "archives")}
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for app, forbidden in later.items()
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for module in _imported_modules(path)
        if module.split(".")[0] in forbidden
    ]
    assert wrong == []
