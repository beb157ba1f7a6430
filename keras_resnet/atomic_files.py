"""Writing a file so that a reader never sees it half-written: under a
temporary name beside it, renamed once complete."""

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
