"""Lesson 3's data layer: known corpora (SHA-256, cache, download), reading files, bad input.

Nothing here touches the network: downloads are exercised with a fake
``urlopen``. The real corpora are read from ``<repo>/../shared/data`` when
that folder exists.
"""

from __future__ import annotations

import hashlib
import io
import urllib.error
from pathlib import Path

import pytest

from minigrad.errors import DataError
from minigrad.lessons.charlm import data
from minigrad.lessons.charlm.data import (
    KNOWN_CORPORA,
    KnownCorpus,
    default_data_dir,
    fetch_known,
    load_corpus,
    read_text_file,
    sha256_of,
    toy_text,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SHAKESPEARE = SHARED / "tinyshakespeare.txt"
CERVANTES = SHARED / "cervantes.txt"
needs_shakespeare = pytest.mark.skipif(not SHAKESPEARE.exists(), reason=f"no {SHAKESPEARE}")
needs_cervantes = pytest.mark.skipif(not CERVANTES.exists(), reason=f"no {CERVANTES}")


# ------------------------------------------------------------ known corpora
@needs_shakespeare
def test_tinyshakespeare_matches_its_published_sha256_and_size() -> None:
    assert sha256_of(SHAKESPEARE) == (
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    )
    corpus = load_corpus("shakespeare", data_dir=SHARED, allow_download=False)
    assert (len(corpus), len(set(corpus.text)), corpus.encoding) == (1_115_394, 65, "utf-8")
    assert corpus.name == "shakespeare" and corpus.text.startswith("First Citizen:")


@needs_cervantes
def test_cervantes_bom_is_stripped_and_sha256_checked() -> None:
    assert sha256_of(CERVANTES) == KNOWN_CORPORA["cervantes"].sha256
    corpus = load_corpus("Cervantes", data_dir=SHARED, allow_download=False)
    assert corpus.encoding == "utf-8-sig"
    assert len(corpus) == 2_097_953
    assert not corpus.text.startswith("\ufeff")
    assert "Quijote" in corpus.text[:2000]


def test_a_cached_file_with_the_wrong_sha256_is_reported_not_used(tmp_path: Path) -> None:
    (tmp_path / "tinyshakespeare.txt").write_text("not shakespeare at all\n")
    with pytest.raises(DataError, match="SHA-256") as info:
        load_corpus("shakespeare", data_dir=tmp_path, allow_download=False)
    assert str(tmp_path / "tinyshakespeare.txt") in str(info.value)


def test_data_dir_comes_from_the_environment_then_the_user_cache(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MINIGRAD_DATA_DIR", str(tmp_path / "here"))
    assert default_data_dir() == tmp_path / "here"
    monkeypatch.delenv("MINIGRAD_DATA_DIR")
    monkeypatch.setattr(data.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache" / "minigrad" / "data"


# ---------------------------------------------------------------- download
class _FakeWeb:
    """``urlopen`` replacement serving fixed bytes per URL and counting calls."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float = 0.0) -> io.BytesIO:
        self.calls.append(url)
        if url not in self.pages:
            raise urllib.error.URLError("no network here")
        return io.BytesIO(self.pages[url])


def _fake_known(monkeypatch, content: bytes, urls: tuple[str, ...]) -> KnownCorpus:
    known = KnownCorpus(
        name="toy",
        filename="toy.txt",
        urls=urls,
        sha256=hashlib.sha256(content).hexdigest(),
        description="a test corpus",
    )
    monkeypatch.setitem(KNOWN_CORPORA, "toy", known)
    return known


def test_first_use_downloads_verifies_and_caches(monkeypatch, tmp_path: Path) -> None:
    content = toy_text(3000).encode()
    _fake_known(monkeypatch, content, ("https://mirror-a/toy.txt", "https://mirror-b/toy.txt"))
    web = _FakeWeb({"https://mirror-b/toy.txt": content})
    monkeypatch.setattr(data.urllib.request, "urlopen", web)
    monkeypatch.setenv("MINIGRAD_DATA_DIR", str(tmp_path))

    corpus = load_corpus("toy")
    assert corpus.text == content.decode() and corpus.path == tmp_path / "toy.txt"
    assert web.calls == ["https://mirror-a/toy.txt", "https://mirror-b/toy.txt"]
    load_corpus("toy")  # cached: no second download
    assert len(web.calls) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.txt"]  # no .part left behind


def test_a_download_with_the_wrong_bytes_is_rejected(monkeypatch, tmp_path: Path) -> None:
    _fake_known(monkeypatch, b"the real text\n", ("https://mirror/toy.txt",))
    web = _FakeWeb({"https://mirror/toy.txt": b"something else\n"})
    monkeypatch.setattr(data.urllib.request, "urlopen", web)
    with pytest.raises(DataError, match="SHA-256"):
        fetch_known("toy", data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_a_cache_says_how_to_fix_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(data.urllib.request, "urlopen", _FakeWeb({}))
    with pytest.raises(DataError) as info:
        load_corpus("shakespeare", data_dir=tmp_path)
    message = str(info.value)
    assert "could not download" in message and "no network here" in message
    assert "--corpus PATH" in message and str(tmp_path / "tinyshakespeare.txt") in message
    assert "MINIGRAD_DATA_DIR" in message


def test_downloads_off_and_no_cache_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="downloads are off") as info:
        load_corpus("cervantes", data_dir=tmp_path, allow_download=False)
    assert str(tmp_path / "cervantes.txt") in str(info.value)


# ----------------------------------------------------------- reading files
def test_a_path_is_read_as_the_users_own_corpus(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text("hello world\n", encoding="utf-8")
    corpus = load_corpus(str(path))
    assert (corpus.name, corpus.text, corpus.encoding) == ("mine", "hello world\n", "utf-8")
    assert corpus.sha256 == hashlib.sha256(b"hello world\n").hexdigest()


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("\ufeffcañón\r\nvale\r\n".encode(), "utf-8-sig"),
        ("cañón\r\nvale\r\n".encode("utf-16"), "utf-16"),
        ("cañón\r\nvale\r\n".encode("cp1252"), "cp1252"),
    ],
)
def test_boms_encodings_and_line_endings_are_handled(tmp_path: Path, raw, encoding) -> None:
    path = tmp_path / "text.txt"
    path.write_bytes(raw)
    corpus = read_text_file(path)
    assert corpus.text == "cañón\nvale\n"
    assert corpus.encoding == encoding


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found") as info:
        load_corpus(str(tmp_path / "nope.txt"))
    assert "nope.txt" in str(info.value) and "--corpus shakespeare" in str(info.value)


def test_a_directory_is_not_a_corpus(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a directory"):
        read_text_file(tmp_path)


@pytest.mark.parametrize("content", [b"", b"  \n\n \t"])
def test_an_empty_file_is_named(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match="empty") as info:
        read_text_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,  # NUL bytes
        bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 65]) * 200,  # control characters
    ],
)
def test_a_binary_file_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(content)
    with pytest.raises(DataError, match="binary") as info:
        read_text_file(path)
    assert str(path) in str(info.value)


def test_toy_text_is_deterministic_and_sized() -> None:
    assert toy_text(5000, seed=3) == toy_text(5000, seed=3)
    assert toy_text(5000, seed=3) != toy_text(5000, seed=4)
    assert len(toy_text(5000)) == 5000
