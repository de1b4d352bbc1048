"""Rewrite tests/stacks/colab.txt from Colab's published `pip freeze` (googlecolab/backend-info).

    curl -sL https://raw.githubusercontent.com/googlecolab/backend-info/main/pip-freeze.txt \
        | python tools/refresh_colab_stack.py --date YYYY-MM-DD --commit SHA > tests/stacks/colab.txt

The file is a pip constraints file: `.ci/run` installs the course's few top-level needs with
`-c tests/stacks/colab.txt`, so every package pip pulls in gets exactly Colab's version. Lines that
point at a URL or a local file (Colab's own builds such as google-colab, or CPU torch) are dropped:
they cannot be installed from PyPI, and the course needs none of them. Python is pinned separately
(COLAB_PYTHON below, from backend-info's os-info.txt) because pip cannot install it.
"""
import argparse
import re
import sys

COLAB_PYTHON = "3.13"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")


def pins(freeze_text: str) -> list[str]:
    """The `name==version` lines of a pip freeze, sorted case-insensitively; everything else is dropped."""
    found = {}
    for line in freeze_text.splitlines():
        match = PIN.match(line.strip())
        if match:
            found[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}"
    return [found[name] for name in sorted(found)]


def render(freeze_text: str, date: str, commit: str) -> str:
    lines = pins(freeze_text)
    if not lines:
        raise SystemExit("no name==version lines in the input: is it Colab's pip-freeze.txt?")
    header = [
        "# Colab's runtime as published in googlecolab/backend-info, pip-freeze.txt",
        f"# (commit {commit}, {date}; Python {COLAB_PYTHON}). A pip constraints file: used with -c.",
        "# Refresh (one line; see tools/refresh_colab_stack.py):",
        "#   curl -sL https://raw.githubusercontent.com/googlecolab/backend-info/main/pip-freeze.txt"
        " | python tools/refresh_colab_stack.py --date YYYY-MM-DD --commit SHA > tests/stacks/colab.txt",
        "# Generated: do not edit by hand. URL and file pins of the freeze (Colab's own builds) are left out.",
    ]
    return "\n".join(header + lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("freeze", nargs="?", type=argparse.FileType("r"), default=sys.stdin,
                        help="Colab's pip-freeze.txt (default: standard input)")
    parser.add_argument("--date", required=True, help="date of the backend-info commit the freeze comes from")
    parser.add_argument("--commit", required=True, help="that commit's hash")
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.freeze.read(), args.date, args.commit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
