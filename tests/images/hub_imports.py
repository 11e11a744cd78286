"""Run inside an image: import every module of its `hub` package, and check that every package any
module imports, at its top or inside a function (the grading modules import theirs lazily, so
the hub image can load the CLI without them), is installed.

    python hub_imports.py NOT_MEANT_PREFIX... [--optional PACKAGE...]

Modules named (or under a package named) in NOT_MEANT are the ones this image is not meant to
run; packages after --optional may be missing (imported only where they exist). Prints one line
per problem, naming the module and the missing package, and exits 1; else "ok: ...".
"""

import ast
import importlib
import importlib.util
import pkgutil
import sys

args = sys.argv[1:]
cut = args.index("--optional") if "--optional" in args else len(args)
not_meant, optional = set(args[:cut]), set(args[cut + 1:])


def meant(name: str) -> bool:
    return not any(name == n or name.startswith(n + ".") for n in not_meant)


def imported_roots(path: str) -> list[tuple[str, int]]:
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


import hub  # noqa: E402

problems = []
names = ["hub", *(m.name for m in pkgutil.walk_packages(hub.__path__, "hub.",
                                                        onerror=lambda n: None))]
checked = [n for n in sorted(set(names)) if meant(n)]
for name in checked:
    try:
        importlib.import_module(name)
    except Exception as e:  # noqa: BLE001  every failure is reported, by module
        problems.append(f"{name}: import fails: {type(e).__name__}: {e}")
        continue
    origin = importlib.util.find_spec(name).origin
    for root, line in imported_roots(origin):
        if root == "hub" or root in sys.stdlib_module_names or root in optional:
            continue
        if importlib.util.find_spec(root) is None:
            problems.append(f"{name}: imports {root} (line {line}), which is not installed")
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"ok: {len(checked)} hub modules import, and every package they import is installed "
      f"(not meant here: {', '.join(sorted(not_meant)) or 'none'})")
