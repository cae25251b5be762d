"""Parses an exposition from stdin with Python's prometheus_client and prints it as JSON.

Usage: parse_exposition.py prometheus|openmetrics < exposition

Prints {"families": [{"name", "type", "help", "samples": [{"name", "labels", "value",
"exemplar"}]}]}, "exemplar" being null or {"labels", "value", "timestamp"}.
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
            exemplar = getattr(sample, "exemplar", None)
            samples.append(
                {
                    "name": sample.name,
                    "labels": sample.labels,
                    # JSON has no infinities or NaN: spelt as the text formats spell them.
                    "value": "NaN" if math.isnan(value) else "+Inf" if math.isinf(value) else value,
                    "exemplar": None
                    if exemplar is None
                    else {
                        "labels": exemplar.labels,
                        "value": exemplar.value,
                        "timestamp": None if exemplar.timestamp is None else float(exemplar.timestamp),
                    },
                }
            )
        families.append(
            {"name": family.name, "type": family.type, "help": family.documentation, "samples": samples}
        )
    json.dump({"families": families}, sys.stdout)


if __name__ == "__main__":
    main()
