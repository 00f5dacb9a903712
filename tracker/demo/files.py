"""Reading the demo's data files (tracker/demo/data/*.toml) and finding what they name."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from tracker.campaigns.models import Campaign
from tracker.campaigns.services import find_campaign
from tracker.orgs.models import Organization
from tracker.orgs.services import find_organization


def read(name: str) -> dict[str, Any]:
    """The data file `name`.toml, parsed (amounts in it are strings, for exact decimals)."""
    with resources.files("tracker.demo").joinpath("data", f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def organization(slug: str) -> Organization:
    """The demo organisation with this slug; LookupError when it has not been loaded."""
    org = find_organization(slug)
    if org is None:
        raise LookupError(f"demo organisation {slug!r} is missing")
    return org


def campaign(slug: str) -> Campaign:
    """The demo campaign with this slug; LookupError when it has not been loaded."""
    found = find_campaign(slug)
    if found is None:
        raise LookupError(f"demo campaign {slug!r} is missing")
    return found
