"""Validate FHIR R4 resources with fhir.resources 6.4 (pydantic 1), in .venv-fhir.

Reads a JSON list of resources on standard input; prints a JSON list with one entry per
resource: null when valid, else the validation errors as text. Run by
tests/test_fhir_validation.py; not imported by the app or the suite's own environment.
"""

import json
import sys

from fhir.resources import construct_fhir_element


def main() -> None:
    found = []
    for resource in json.load(sys.stdin):
        try:
            construct_fhir_element(resource["resourceType"], resource)
        except Exception as exc:  # pydantic's ValidationError, or an unknown resourceType
            found.append(f"{resource.get('resourceType')}/{resource.get('id')}: {exc}")
        else:
            found.append(None)
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
