"""Parses an exposition from stdin with Python's prometheus_client and prints it as JSON.

Usage: parse_exposition.py prometheus|openmetrics < exposition

Prints {"families": [{"name", "type", "help", "samples": [{"name", "labels", "value"}]}]}.
Exits non-zero with the parser's error when the input does not parse.
"""

import json
import math
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus


def main() -> None:
    fmt = sys.argv[1]
    text = sys.stdin.read()
    parse = {"prometheus": parse_prometheus, "openmetrics": parse_openmetrics}[fmt]
    families = []
    for family in parse(text):
        samples = []
        for sample in family.samples:
            value = sample.value
            samples.append(
                {
                    "name": sample.name,
                    "labels": sample.labels,
                    # JSON has no infinities or NaN: spelt as the text formats spell them.
                    "value": "NaN" if math.isnan(value) else "+Inf" if math.isinf(value) else value,
                }
            )
        families.append(
            {"name": family.name, "type": family.type, "help": family.documentation, "samples": samples}
        )
    json.dump({"families": families}, sys.stdout)


if __name__ == "__main__":
    main()
