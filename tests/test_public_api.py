"""The public surface is small, explicit and tested."""

import sms_contract


def test_all_lists_exactly_the_public_names():
    """__all__ names every public attribute and nothing that is not there."""
    public = {name for name in vars(sms_contract) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if type(getattr(sms_contract, name)).__name__ == "module"}
    assert set(sms_contract.__all__) - {"__version__"} == public - modules
    assert all(hasattr(sms_contract, name) for name in sms_contract.__all__)


def test_version_matches_the_package_metadata():
    """--version, __version__ and the installed metadata agree."""
    from importlib.metadata import version

    assert sms_contract.__version__ == version("sms-contract")
