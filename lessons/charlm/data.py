"""Corpora for the character-level language model: find, download, verify, read.

``load_corpus(spec)`` turns what the user typed after ``--corpus`` into text:

* ``"shakespeare"`` or ``"cervantes"``: a known corpus. It is looked up in the
  data directory (``MINIGRAD_DATA_DIR`` when set, else the user's cache
  directory, e.g. ``~/.cache/minigrad/data``); when missing it is downloaded
  once from its public source, checked against its SHA-256 and cached there.
* anything else: a path to a text file of your own.

Downloads use ``urllib`` from the standard library: two files fetched once do
not justify a new dependency. Every download is written to a temporary file,
verified, then renamed into place, so an interrupted download never leaves a
half file that looks like the corpus.

Reading a file handles the usual traps of text found on the internet: a
byte-order mark (UTF-8 or UTF-16), Windows line endings (``\\r\\n`` becomes
``\\n``) and files that are not UTF-8 (read as Windows-1252, the usual
alternative, with the choice recorded). Files that are missing, empty or
binary raise ``DataError`` naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from minigrad.errors import DataError

#: Environment variable that overrides where corpora are cached.
DATA_DIR_ENV = "MINIGRAD_DATA_DIR"

#: Characters allowed in a text file besides printable ones.
_TEXT_CONTROLS = frozenset("\n\r\t\f\v")
#: How much of a file is inspected to decide whether it is binary.
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True)
class KnownCorpus:
    """A corpus minigrad knows how to fetch: where from, and what it must hash to."""

    name: str
    filename: str
    urls: tuple[str, ...]
    sha256: str
    description: str


KNOWN_CORPORA: dict[str, KnownCorpus] = {
    "shakespeare": KnownCorpus(
        name="shakespeare",
        filename="tinyshakespeare.txt",
        urls=(
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/"
            "data/tinyshakespeare/input.txt",
        ),
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        description="tiny-shakespeare (karpathy/char-rnn), 1,115,394 characters",
    ),
    "cervantes": KnownCorpus(
        name="cervantes",
        filename="cervantes.txt",
        urls=(
            "https://raw.githubusercontent.com/david-sterling/DonQuijote-RNN/"
            "189691e131931f5a6e773b9ada4a22f33f82a8ed/quijote.txt",
            "https://raw.githubusercontent.com/david-sterling/DonQuijote-RNN/master/quijote.txt",
        ),
        sha256="05c70c5000c268ba693b62d08e7115942679bc1013f7c7aa4eb564a0eeb32ce7",
        description="Don Quijote, both parts (Project Gutenberg #2000), 2,097,953 characters",
    ),
}


@dataclass(frozen=True)
class Corpus:
    """A corpus read into memory.

    ``name`` is the known name or the file's stem, ``path`` the file it was
    read from, ``encoding`` how its bytes were decoded (``"utf-8-sig"`` when a
    UTF-8 BOM was stripped), ``sha256`` the digest of the file's bytes.
    """

    name: str
    path: Path
    text: str
    encoding: str
    sha256: str

    def __len__(self) -> int:
        return len(self.text)


# ---------------------------------------------------------------- locations
def default_data_dir() -> Path:
    """Where corpora are cached: ``$MINIGRAD_DATA_DIR``, else the user's cache directory.

    The cache directory follows each platform's convention: ``%LOCALAPPDATA%``
    on Windows, ``~/Library/Caches`` on macOS, ``$XDG_CACHE_HOME`` (default
    ``~/.cache``) elsewhere, each with ``minigrad/data`` appended.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "minigrad" / "data"


def sha256_of(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- downloads
def _how_to_fix(known: KnownCorpus, target: Path) -> str:
    return (
        f"To fix it: download {known.urls[0]} yourself and save it as {target} "
        f"(or set {DATA_DIR_ENV} to a folder holding {known.filename}), "
        "or train on a text file of your own with --corpus PATH"
    )


def download(known: KnownCorpus, target: Path, timeout: float = 60.0) -> None:
    """Fetch ``known`` into ``target``, verify its SHA-256, then rename it into place.

    Tries each of ``known.urls`` in turn. Raises ``DataError`` saying how to
    put the file in place by hand when every source fails (offline, moved) or
    the bytes do not hash to ``known.sha256``.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the data directory {target.parent} for {known.name} ({exc}). "
            f"Set {DATA_DIR_ENV} to a writable folder, or use --corpus PATH"
        ) from None
    problems = []
    for url in known.urls:
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{known.filename}.", suffix=".part", dir=target.parent
            )
        except OSError as exc:
            where = f" ({DATA_DIR_ENV})" if os.environ.get(DATA_DIR_ENV) else ""
            raise DataError(
                f"cannot save the {known.name} corpus in the data directory {target.parent}"
                f"{where}: {exc.strerror or exc}. Set {DATA_DIR_ENV} to a folder you can "
                f"write to, put {known.filename} there yourself, or use --corpus PATH"
            ) from None
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                for chunk in iter(lambda r=resp: r.read(1 << 16), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != known.sha256:
                problems.append(f"{url}: SHA-256 {digest.hexdigest()} is not {known.sha256}")
                continue
            os.replace(tmp, target)
            return
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DataError(
        f"could not download the {known.name} corpus ({'; '.join(problems)}). "
        + _how_to_fix(known, target)
    )


def fetch_known(name: str, data_dir: Path | None = None, allow_download: bool = True) -> Path:
    """The path of the known corpus ``name``, downloading and verifying it if needed.

    A cached file whose SHA-256 is wrong (damaged, or another text saved
    under that name) is reported, never silently used or overwritten.
    """
    known = KNOWN_CORPORA[name]
    folder = data_dir if data_dir is not None else default_data_dir()
    target = folder / known.filename
    if not target.exists():
        if not allow_download:
            raise DataError(
                f"the {known.name} corpus is not in {folder} and downloads are off. "
                + _how_to_fix(known, target)
            )
        download(known, target)
    actual = sha256_of(target)
    if actual != known.sha256:
        raise DataError(
            f"{target} does not look like the {known.name} corpus: its SHA-256 is {actual}, "
            f"expected {known.sha256}. Delete it to download it again, or pass it with "
            "--corpus PATH to train on it as your own text"
        )
    return target


# ------------------------------------------------------------------ reading
def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Bytes -> (text, encoding), honouring a BOM; UTF-8 first, then Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path} starts with a UTF-16 mark but does not decode: {exc}"
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DataError(f"{path} starts with a UTF-8 mark but does not decode: {exc}") from None
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise DataError(
            f"{path} looks binary (it contains NUL bytes), not a text corpus: "
            "pass a plain-text file with --corpus PATH"
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is neither UTF-8 nor Windows-1252 text ({exc}); convert it to UTF-8 "
            "(e.g. `iconv -t utf-8`) or pass another file with --corpus PATH"
        ) from None


def _check_text(text: str, path: Path) -> None:
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if ch < " " and ch not in _TEXT_CONTROLS)
    if controls > max(8, len(sample) // 100):
        raise DataError(
            f"{path} looks binary ({controls} control characters in its first "
            f"{len(sample)} characters), not a text corpus: pass a plain-text file "
            "with --corpus PATH"
        )


def read_text_file(path: str | os.PathLike) -> Corpus:
    """Read a corpus file into a ``Corpus``, with clear errors for the usual mistakes.

    Raises ``DataError`` naming the file when it does not exist, is a
    directory, cannot be read, is empty, or is binary.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(
            f"corpus file not found: {p}. Check the path, or use --corpus shakespeare "
            "or --corpus cervantes"
        )
    if p.is_dir():
        raise DataError(f"corpus path {p} is a directory; pass a text file with --corpus PATH")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read corpus file {p}: {exc}") from None
    if not raw.strip():
        raise DataError(f"corpus file {p} is empty: it needs some text to learn from")
    text, encoding = _decode(raw, p)
    text = text.replace("\r\n", "\n")
    _check_text(text, p)
    return Corpus(
        name=p.stem, path=p, text=text, encoding=encoding, sha256=hashlib.sha256(raw).hexdigest()
    )


def load_corpus(
    spec: str | os.PathLike, data_dir: Path | None = None, allow_download: bool = True
) -> Corpus:
    """``--corpus`` value -> ``Corpus``: ``"shakespeare"``, ``"cervantes"`` or a file path."""
    key = os.fspath(spec)
    if key.lower() in KNOWN_CORPORA:
        name = key.lower()
        path = fetch_known(name, data_dir=data_dir, allow_download=allow_download)
        corpus = read_text_file(path)
        return Corpus(
            name=name,
            path=corpus.path,
            text=corpus.text,
            encoding=corpus.encoding,
            sha256=corpus.sha256,
        )
    return read_text_file(key)


# ------------------------------------------------------------ a toy corpus
_TOY_WORDS = (
    "the king queen speak now my lord good sir what say you to me "
    "and I will not be so for love of this fair day night come go"
).split()


def toy_text(num_chars: int = 20_000, seed: int = 0) -> str:
    """A small made-up play (speakers, lines of common words) for tests and offline demos.

    Deterministic for a given ``seed``; about ``num_chars`` characters long.
    It has enough regularity (capitalised speaker names followed by a colon,
    short lines, frequent words) that a small model learns it in seconds.
    """
    import random

    rnd = random.Random(seed)
    speakers = ("ROMEO", "JULIET", "KING", "NURSE")
    parts: list[str] = []
    size = 0
    while size < num_chars:
        words = [rnd.choice(_TOY_WORDS) for _ in range(rnd.randint(4, 9))]
        line = f"{rnd.choice(speakers)}:\n{' '.join(words).capitalize()}{rnd.choice('.,!?')}\n\n"
        parts.append(line)
        size += len(line)
    return "".join(parts)[:num_chars]
