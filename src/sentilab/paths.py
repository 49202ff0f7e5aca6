"""Where sentilab keeps its files, and how it writes them without ever losing one a user wrote.

Two promises, kept here and nowhere else:

* **Nothing half-written.** A file is written beside its target and renamed into place (:func:`atomic_file`);
  a directory output is built in a hidden sibling and published by rename (:func:`output_dir`), so an
  interrupted run leaves the previous output intact, or nothing.
* **Nothing a user wrote is lost.** A directory output goes only where there is nothing, an empty directory,
  or a previous output of the *same kind* that sentilab wrote — recognised by the marker file
  :data:`OUTPUT_MARKER`, which lists every file it wrote. A directory holding anything else (the training data,
  a thesis, another kind of output, a file a user added to an old output) is refused before any work starts,
  with an error naming the path. A file output (``predict --out x.csv``) is refused when the file exists,
  unless the user said ``--overwrite``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sentilab.errors import SentilabError

#: The marker file in every directory sentilab writes: ``{"kind", "files", "created", "sentilab_version"}``.
OUTPUT_MARKER = ".sentilab-output.json"
#: The most file names an error lists before it says "and N more".
_LISTED = 5


class OutputPathError(SentilabError):
    """An output path sentilab may not write into; nothing has been written or deleted."""


def home() -> Path:
    """The cache root: ``$SENTILAB_HOME`` or ``~/.cache/sentilab``."""
    env = os.environ.get("SENTILAB_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sentilab"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_readable(path: str | os.PathLike) -> None:
    """Give a file the permissions a plain ``open(..., "w")`` would (tools such as mkstemp make 0600 files)."""
    os.chmod(path, 0o666 & ~_umask())


def check_output_file(path: str | os.PathLike, *, overwrite: bool = False, option: str = "--out") -> Path:
    """Refuse, before any work starts, a file output that would replace a file without ``overwrite``."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(
            f"{option} {path} is a directory; give the path of a file to write, e.g. {path / 'predictions.csv'}"
        )
    if path.exists() and not overwrite:
        raise OutputPathError(
            f"{option} {path} already exists; sentilab does not replace a file unless told to",
            hint="choose another path, or pass --overwrite to replace it",
        )
    return path


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Write to a temporary file beside ``path`` and rename it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        make_readable(tmp)  # a report or a saved model should be readable like any other file
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ============================================================================ directory outputs
def _relative_files(directory: Path) -> list[str]:
    """Every entry below ``directory`` as a POSIX path relative to it (directories end in '/'), sorted."""
    entries = []
    for root, dirs, files in os.walk(directory):
        base = Path(root).relative_to(directory)
        entries += [(base / name).as_posix() + "/" for name in dirs]
        entries += [(base / name).as_posix() for name in files]
    return sorted(entries)


def read_output_marker(directory: str | os.PathLike) -> dict | None:
    """The marker of a directory sentilab wrote, or None when there is none (or it is unreadable)."""
    try:
        marker = json.loads((Path(directory) / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("kind"), str):
        return None
    if not isinstance(marker.get("files"), list):
        return None
    return marker


#: Kinds of output that describe themselves without the marker file (a saved model has its own config.json
#: and meta.json): kind -> function(directory) -> the entries that output owns, or None when it is not one.
SELF_DESCRIBED: dict[str, Callable[[Path], list[str] | None]] = {}


def owned_entries(directory: Path) -> tuple[str | None, list[str] | None]:
    """``(kind found, entries it owns)`` for a previous sentilab output, or ``(None, None)``.

    An incremental output (:func:`claim_output_dir`) owns no fixed list: it is never replaced as a whole, so
    its entries are None.
    """
    marker = read_output_marker(directory)
    if marker is not None:
        return marker["kind"], None if marker.get("incremental") else [*marker["files"], OUTPUT_MARKER]
    for other, recognise in SELF_DESCRIBED.items():
        owned = recognise(directory)
        if owned is not None:
            return other, owned
    return None, None


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return shown if len(names) <= _LISTED else f"{shown} and {len(names) - _LISTED} more"


def _refusal(path: str | os.PathLike, what: str, option: str) -> OutputPathError:
    return OutputPathError(
        f"{option} {path} {what}; sentilab writes only into a new or empty directory or over its own "
        "previous output of the same kind",
        hint=f"choose another {option} (a new directory is created), or move those files out first",
    )


def check_output_dir(path: str | os.PathLike, kind: str, *, option: str = "--out") -> Path:
    """Refuse, before any work starts, a directory that sentilab may not publish a ``kind`` output into.

    Allowed: no such path; an empty directory; a previous ``kind`` output whose every entry sentilab wrote.
    Returns the path, made absolute (so a later ``chdir`` cannot move it).
    """
    given, path = path, Path(os.path.abspath(path))  # abspath also folds "..", unlike Path.absolute
    if path == Path.cwd() or path in Path.cwd().parents:
        raise OutputPathError(
            f"{option} {given} is the current directory (or holds it); sentilab replaces its output "
            "directory as a whole",
            hint=f"name a subdirectory instead, e.g. {option} ./{kind}",
        )
    if not path.exists() and not path.is_symlink():
        return path
    if not path.is_dir():
        raise OutputPathError(
            f"{option} {given} is a file, not a directory; sentilab writes a directory of files there",
            hint=f"choose another {option}, e.g. {path.with_suffix('')}-{kind}",
        )
    entries = _relative_files(path)
    if not entries:
        return path
    found, owned = owned_entries(path)
    if found is None:
        top = sorted({entry.split("/")[0] for entry in entries})
        raise _refusal(given, f"already holds files sentilab did not write ({_listing(top)})", option)
    if found != kind:
        raise _refusal(given, f"holds a sentilab {found} output, not a {kind}", option)
    if owned is None:
        return path  # filled part by part, each part published on its own: never replaced as a whole
    foreign = [entry for entry in entries if entry not in set(owned)]
    if foreign:
        raise _refusal(given, f"holds files added after sentilab wrote it ({_listing(foreign)})", option)
    return path


def _write_marker(directory: Path, kind: str, *, incremental: bool = False) -> None:
    from sentilab import __version__

    marker = {
        "kind": kind,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sentilab_version": __version__,
        "files": [] if incremental else _relative_files(directory),
        **({"incremental": True} if incremental else {}),
    }
    (directory / OUTPUT_MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


def _remove_listed(directory: Path, listed: list[str]) -> None:
    """Delete what an output owned (files, then the directories left empty), and nothing else."""
    for entry in sorted(listed, key=lambda e: (e.endswith("/"), -e.count("/"))):
        target = directory / entry.rstrip("/")
        with contextlib.suppress(OSError):
            target.rmdir() if entry.endswith("/") else target.unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()


@contextlib.contextmanager
def output_dir(
    path: str | os.PathLike, kind: str, *, option: str = "--out", marker: bool = True
) -> Iterator[Path]:
    """Yield a hidden sibling directory to fill; publish it at ``path`` as a whole when the block succeeds.

    ``path`` is checked first (:func:`check_output_dir`) and again just before publishing. A previous output of
    the same kind is swapped out by rename and only the files its marker lists are deleted; if the block
    fails or is interrupted, the previous output stays as it was and the sibling is removed. ``marker=False``
    is for kinds in :data:`SELF_DESCRIBED`, whose own files say what they are.
    """
    path = check_output_dir(path, kind, option=option)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if marker:
            _write_marker(tmp, kind)
        check_output_dir(path, kind, option=option)
        _publish(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # our own hidden sibling: nothing of the user's is inside
        raise


def claim_output_dir(path: str | os.PathLike, kind: str, *, option: str = "--out") -> Path:
    """Claim a directory that sentilab fills part by part (the demo), each part published on its own.

    The same rules as :func:`check_output_dir` decide whether it may be used; the directory is then created and
    marked as an *incremental* ``kind`` output, which is never replaced as a whole (so a file a user adds to it
    is never deleted). Each part inside goes through :func:`output_dir` or :func:`atomic_file`.
    """
    path = check_output_dir(path, kind, option=option)
    path.mkdir(parents=True, exist_ok=True)
    if read_output_marker(path) is None:
        _write_marker(path, kind, incremental=True)
    return path


def _publish(tmp: Path, path: Path) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    if not any(path.iterdir()):
        os.replace(tmp, path)  # rename(2) replaces an empty directory in one step
        return
    _found, listed = owned_entries(path)
    if listed is None:  # an incremental output is filled part by part, never swapped out as a whole
        raise OutputPathError(f"{path} is filled part by part by sentilab; it cannot be replaced as a whole")
    aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
    os.replace(path, aside / "previous")
    os.replace(tmp, path)
    _remove_listed(aside / "previous", listed)
    with contextlib.suppress(OSError):
        aside.rmdir()


def write_output_dir(path: str | os.PathLike, kind: str, write: Callable[[Path], Any]) -> Any:
    """Run ``write(directory)`` into a fresh hidden directory and publish it at ``path`` (:func:`output_dir`).

    ``write`` returns what it wrote — a path, a dict of paths, or None — and gets back the same with every
    path moved to where it was published (None becomes ``path`` itself).
    """
    with output_dir(path, kind) as tmp:
        written = write(tmp)
    final = Path(os.path.abspath(path))

    def moved(inside: Path) -> Path:
        return final / Path(inside).relative_to(tmp)

    if written is None:
        return final
    if isinstance(written, dict):
        return {key: moved(value) for key, value in written.items()}
    return moved(written)
