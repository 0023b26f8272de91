"""A family written as its table and read back is the same family (plan files embed it)."""

from __future__ import annotations

import json

from mvplan.rings.catalogue import load_catalogue
from mvplan.rings.schema import family_to_dict, parse_family


def test_every_catalogue_family_round_trips_through_its_table() -> None:
    for family in load_catalogue().values():
        table = json.loads(json.dumps(family_to_dict(family)))  # JSON-ready, as a plan holds it
        assert parse_family(table, source=family.origin) == family
