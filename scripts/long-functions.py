#!/usr/bin/env python3
"""Lists the functions of the library crates longer than a limit (default 80 lines),
counted from their `fn` line to their closing brace; test code is left out. Exits 1 when
there is one.

    scripts/long-functions.py [LIMIT]
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
layers = __import__("check-layers")


def functions(text):
    """(name, first line, length) of every function with a body."""
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", text):
        i = m.end()
        depth_paren = 0
        while i < len(text):
            c = text[i]
            if c in "([<":
                depth_paren += 1
            elif c in ")]>":
                depth_paren -= 1
            elif c == ";" and depth_paren <= 0:
                break
            elif c == "{" and depth_paren <= 0:
                start, depth = i, 0
                while i < len(text):
                    if text[i] == "{":
                        depth += 1
                    elif text[i] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
                first = text.count("\n", 0, m.start()) + 1
                yield m.group(1), first, text.count("\n", m.start(), i) + 1
                break
            i += 1


def main(limit):
    found = []
    crates = [p.parent.parent for p in ROOT.glob("**/src/lib.rs") if "target" not in p.parts]
    for crate in sorted(crates):
        if crate.name in ("tests", "examples"):
            continue
        for path in sorted((crate / "src").rglob("*.rs")):
            if path.name == "tests.rs":
                continue
            text = layers.strip_test_items(layers.strip_comments_and_strings(path.read_text()))
            for name, line, length in functions(text):
                if length > limit:
                    found.append(f"{path.relative_to(ROOT)}:{line}: fn {name} is {length} lines")
    print("\n".join(found) or f"no function over {limit} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 80))
