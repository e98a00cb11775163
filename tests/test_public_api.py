"""The public surface is small, explicit and tested."""

import importlib
import subprocess
import sys

import pytest

import sms_contract


def test_all_lists_exactly_the_public_names():
    """__all__ names every public attribute and nothing that is not there."""
    public = {name for name in dir(sms_contract) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if type(getattr(sms_contract, name)).__name__ == "module"}
    assert set(sms_contract.__all__) - {"__version__"} == public - modules
    assert all(hasattr(sms_contract, name) for name in sms_contract.__all__)


@pytest.mark.parametrize("name", sorted(set(sms_contract.__all__) - {"__version__"}))
def test_every_public_name_imports_from_the_face(name: str) -> None:
    """`from sms_contract import X` works for each name of __all__, and gives the object that
    the module it lives in defines (the face loads it on first use)."""
    namespace: dict[str, object] = {}
    exec(f"from sms_contract import {name}", namespace)
    value = namespace[name]
    home = importlib.import_module(sms_contract._ADDRESSES[name])
    assert getattr(home, name) is value
    assert getattr(sms_contract, name) is value


def test_star_import_gives_every_public_name():
    namespace: dict[str, object] = {}
    exec("from sms_contract import *", namespace)
    assert set(sms_contract.__all__) <= set(namespace)


def test_a_name_not_in_the_face_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'SmsClent'"):
        sms_contract.SmsClent  # noqa: B018
    with pytest.raises(ImportError):
        exec("from sms_contract import SmsClent", {})


def test_importing_the_package_loads_none_of_its_machinery():
    """`import sms_contract` (which every command and the plugin do first) imports no
    client, transport, simulator or spec: the names load when first used."""
    probe = (
        "import sys, sms_contract\n"
        "print(sorted(m for m in sys.modules if m.startswith('sms_contract.')"
        " or m in ('requests', 'yaml', 'jsonschema', 'responses')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_version_matches_the_package_metadata():
    """--version, __version__ and the installed metadata agree."""
    from importlib.metadata import version

    assert sms_contract.__version__ == version("sms-contract")
