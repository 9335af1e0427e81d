#!/usr/bin/env python3
"""Checks every relative Markdown link in the repository's documentation:
the file must exist and, with a #fragment, hold a heading with that anchor
(GitHub's rules: lower case, punctuation but '-' and '_' dropped, spaces to
'-', repeats numbered). Links inside code are ignored.

Usage: check_doc_links.py ROOT   (README.md, docs/**/*.md, filters/**/*.md)
Prints each broken link as FILE:LINE and exits 1 if there is one.
Python 3 standard library only.
"""
import glob
import os
import re
import sys


def strip_code(text, inline=True):
    """The lines outside fenced blocks (and without inline code, if asked)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else re.sub(r"`[^`]*`", "", line) if inline else line)
    return out


def slug(heading):
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def anchors(path):
    seen, result = {}, set()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for line in strip_code(text, inline=False):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(2).replace("`", ""))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else "%s-%d" % (base, n))
    return result


def main():
    root = os.path.abspath(sys.argv[1])
    files = [os.path.join(root, "README.md")]
    for pattern in ("docs/**/*.md", "filters/**/*.md", "bench/*.md"):
        files += sorted(glob.glob(os.path.join(root, pattern), recursive=True))
    bad = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            lines = strip_code(f.read())
        for lineno, line in enumerate(lines, 1):
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if re.match(r"^[a-z]+:", target):
                    continue  # http:, https:, mailto:
                file_part, _, fragment = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                where = "%s:%d" % (os.path.relpath(path, root), lineno)
                if not os.path.exists(dest):
                    print("%s: %s: no such file" % (where, target))
                    bad += 1
                elif fragment and os.path.isfile(dest) and fragment not in anchors(dest):
                    print("%s: %s: no heading with that anchor in %s" % (where, target, os.path.relpath(dest, root)))
                    bad += 1
    print("%d files, %d broken links" % (len(files), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
