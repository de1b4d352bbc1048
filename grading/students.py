"""Student ids the grader accepts.

nbgrader builds paths and glob patterns from student ids, so an id such as `*`, `own_modul?`, `-h`,
one with a newline, `=`, `/` or HTML would reach other students' files, break the command line or
end up unescaped in a report. The grader accepts only ids in a safe alphabet and reports every
other folder under submitted/ as rejected, before any work is done.
"""
from __future__ import annotations

import re

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
ALPHABET = ("1 to 64 characters: letters A-Z a-z, digits, '.', '_', '@' and '-', starting with a "
            "letter or digit")


def id_problem(student: str) -> str | None:
    """Why `student` is not an acceptable id, or None."""
    if not isinstance(student, str) or SAFE_ID.fullmatch(student) is None:
        return f"student id {student!r} rejected: ids must be {ALPHABET}"
    if ".." in student:
        return f"student id {student!r} rejected: '..' is not allowed in an id"
    return None
