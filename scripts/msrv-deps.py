#!/usr/bin/env python3
"""The newest `rust-version` among the packages listed in a file ("name vX.Y.Z" a line, as
`cargo tree --format '{p}'` prints them), read from `cargo metadata` on standard input;
fails when it is newer than the version given."""
import json
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


declared, listed = sys.argv[1], sys.argv[2]
used = set(open(listed).read().splitlines())
need = [
    (version(p["rust_version"]), p["name"], p["version"])
    for p in json.load(sys.stdin)["packages"]
    if p.get("rust_version") and p["source"] and f"{p['name']} v{p['version']}" in used
]
newest, name, at = max(need)
print(f"msrv: {name} {at} needs Rust {'.'.join(map(str, newest))}")
if newest[: len(version(declared))] > version(declared):
    sys.exit(f"msrv: rust-version {declared} is older than what {name} {at} needs")
