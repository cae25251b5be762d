#!/usr/bin/env python3
"""Fails when the top-level modules of a library crate import each other in a cycle.

For every library crate of the workspace (a `src/lib.rs`), each top-level module (`src/x.rs`
or `src/x/`) is a node, and a `crate::x` path in any of its files, or a `crate::Name` that
`lib.rs` re-exports from `x`, is an edge to `x`. Test code (`#[cfg(test)]` items and the
modules they declare) is left out: a test may use anything. Prints each crate's modules in
dependency order (each uses only those before it), or the cycles, and exits 1 on a cycle.

    scripts/check-layers.py            # every library crate of the workspace
    scripts/check-layers.py core       # one crate, by its folder
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """The source with comments and string and char literals blanked out."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not text[i - 1].isalnum()):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + len(hashes) + 2)
            i = n if end < 0 else end + 1 + len(hashes)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:]):
            i += len(re.match(r"'(\\.|[^\\'])'", text[i:]).group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_test_items(text):
    """The source without the items that follow a `#[cfg(test)]` attribute."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]", text)
        if not m:
            return text
        i = m.end()
        # The item ends at its `;` or at the brace that closes its body.
        depth = 0
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif text[i] == ";" and depth == 0:
                i += 1
                break
            i += 1
        text = text[: m.start()] + text[i:]


def test_modules(text):
    """Names of the modules declared under `#[cfg(test)]` (`#[cfg(test)] mod tests;`)."""
    return set(re.findall(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", text))


def paths_in_use_groups(text):
    """Every path that starts with `crate::`, braces of `use crate::{…}` expanded one level."""
    found = []
    for m in re.finditer(r"crate::\{", text):
        depth, i, start = 1, m.end(), m.end()
        items, current = [], []
        while i < len(text) and depth:
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if depth == 1 and ch == ",":
                items.append("".join(current))
                current = []
            elif depth >= 1 and not (depth == 1 and ch == "}"):
                current.append(ch)
            i += 1
        items.append("".join(current))
        for item in items:
            item = item.strip()
            head = re.match(IDENT, item)
            if head:
                found.append(head.group(0))
    found.extend(re.findall(r"crate::(" + IDENT + r")", text))
    return found


def reexports(lib_text):
    """Names `lib.rs` re-exports, mapped to the top-level module they come from."""
    names = {}
    for m in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+(" + IDENT + r")::([^;]*);", lib_text):
        module, rest = m.group(1), m.group(2)
        for name in re.findall(r"(" + IDENT + r")\s*(?:[,}]|$)", rest.replace("::", " ")):
            names[name] = module
        for alias in re.findall(r"as\s+(" + IDENT + r")", rest):
            names[alias] = module
    return names


def module_files(src, name):
    single = src / f"{name}.rs"
    folder = src / name
    files = [single] if single.exists() else []
    if folder.is_dir():
        files.extend(sorted(folder.rglob("*.rs")))
    return files


def crate_graph(crate):
    src = crate / "src"
    lib = (src / "lib.rs").read_text()
    clean_lib = strip_comments_and_strings(lib)
    skipped = test_modules(clean_lib)
    declared = re.findall(r"^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", strip_test_items(clean_lib), re.M)
    modules = [m for m in declared if m not in skipped]
    exported = reexports(clean_lib)
    graph = {m: set() for m in modules}
    for module in modules:
        for path in module_files(src, module):
            text = strip_comments_and_strings(path.read_text())
            for test_module in test_modules(text):
                # `#[cfg(test)] mod tests;` declared here: its file is test code.
                for skip in (path.parent / f"{test_module}.rs", path.parent / path.stem / f"{test_module}.rs"):
                    skip_files.add(skip.resolve())
            if path.resolve() in skip_files:
                continue
            for head in paths_in_use_groups(strip_test_items(text)):
                target = head if head in graph else exported.get(head)
                if target and target != module and target in graph:
                    graph[module].add(target)
    return graph


skip_files = set()


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def order(graph):
    """The modules with each after everything it uses."""
    done, out = set(), []

    def visit(v):
        if v in done:
            return
        done.add(v)
        for w in sorted(graph[v]):
            visit(w)
        out.append(v)

    for v in sorted(graph):
        visit(v)
    return out


def main(args):
    crates = [ROOT / a for a in args] if args else sorted(p.parent.parent for p in ROOT.glob("**/src/lib.rs") if "target" not in p.parts)
    failed = False
    for crate in crates:
        graph = crate_graph(crate)
        name = crate.relative_to(ROOT)
        found = cycles(graph)
        if found:
            failed = True
            for component in found:
                uses = "; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(component)))}" for m in component)
                print(f"{name}: import cycle among {', '.join(component)} ({uses})")
        else:
            print(f"{name}: {' < '.join(order(graph))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
