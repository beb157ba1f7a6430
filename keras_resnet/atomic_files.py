"""Writing a file so that a reader never sees it half-written: under a
temporary name beside it, renamed once complete. Every file the project
writes goes through here."""

import csv
import json
import os
import tempfile


def write_atomically(path, write, prefix=".tmp-", suffix=""):
    """Calls write(tmp) for a temporary file beside `path` (named
    prefix…suffix), then renames it."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    os.close(fd)
    try:
        write(tmp)
        make_readable(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def make_readable(path, mode=0o666):
    """Gives a temporary file or folder (created 0600 or 0700) the permissions
    of a normal one (`mode` less the umask; 0o777 for a folder)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def write_bytes(path, data):
    """Writes `data` to `path` atomically."""
    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(data)
    write_atomically(path, write)


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    write_atomically(path, write)


def write_csv(path, rows):
    """Writes a list of dicts (one per row, same keys) as CSV, atomically."""
    def write(tmp):
        with open(tmp, "w", newline="") as f:
            if rows:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
    write_atomically(path, write)


def write_json(path, data):
    """Writes `data` as indented JSON to `path` atomically."""
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, default=str)
            f.write("\n")
    write_atomically(path, write)
