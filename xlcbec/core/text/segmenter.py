"""jieba's segmentation of Chinese text, loaded on first use and remembered between runs.

Loading jieba costs more than everything else the policy-text analysis does:
importing it, then its dictionary (350,000 words, read from a prefix table
jieba caches as a 9 MB file), about a second on an office PC, against
milliseconds for the cutting itself.  A ribbon click is a fresh process, so
two caches are kept in the user's cache folder (:func:`cache_dir`):

- jieba's own dictionary cache (``jieba/dict-<installation>.cache``): jieba
  writes it to the shared temporary folder by default (``/tmp/jieba.cache``),
  where another user's copy can be unreadable or unreplaceable; here it is
  private to the user and named after the jieba installation, so an upgrade
  builds a new one.  jieba writes it to a temporary file and renames it, so
  concurrent runs never see half a file.
- the segmentation of every text already cut with the same keyword set
  (``jieba/segments-<key>.json``, text -> jieba's pieces): the key covers the
  jieba installation (the dictionary file and the code, by size and time),
  the user words and their frequency, so a hit is exactly what jieba would
  return.  When every text of a run is found there, jieba is not imported at
  all.  The file is replaced whole (temporary file, then rename): concurrent
  runs never read half a file, and the last writer's entries are kept (a text
  another run added may be cut again next time, nothing worse).  It keeps
  the texts of the last runs up to :data:`MAX_CACHED_TEXTS`.

A cache that cannot be read is ignored, one that cannot be written is skipped:
the segmentation is the same either way, only slower.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlcbec.user_cache import CACHE_VARIABLE, cache_dir, private_folder  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # jieba is imported on first use: loading it costs time nobody needs elsewhere
    import jieba

# Above the most frequent word of jieba 0.42's dictionary (了, 883,634), so the
# path through a keyword always beats any split of it into dictionary words.
USER_WORD_FREQUENCY = 1_000_000
# The segmentation cache keeps at most this many texts (documents and keywords); beyond, only the last run's.
MAX_CACHED_TEXTS = 50_000


@functools.lru_cache(maxsize=1)
def jieba_installation() -> str:
    """What identifies the installed jieba's segmentation: its code and dictionary files, by path, size and time.

    Found without importing jieba.  Empty when jieba is not installed.
    """
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return ""
    package = Path(spec.origin).parent
    parts = []
    for name in ("__init__.py", "dict.txt", "finalseg/__init__.py", "finalseg/prob_emit.py"):
        try:
            info = (package / name).stat()
        except OSError:
            continue
        parts.append(f"{package / name}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def _jieba_folder() -> Path | None:
    """``<cache_dir>/jieba``, created private to the user; None when it cannot be made."""
    return private_folder("jieba")


@functools.lru_cache(maxsize=1)
def _base_jieba() -> "jieba.Tokenizer":
    import jieba

    # jieba logs its progress at DEBUG and a failed cache write as an ERROR with a traceback, on its own
    # stderr handler; neither is the user's business (the segmentation is the same without the cache).
    jieba.setLogLevel(logging.CRITICAL)
    base = jieba.Tokenizer()
    folder = _jieba_folder()
    if folder is not None:
        base.cache_file = str(folder / f"dict-{_digest(jieba_installation())}.cache")
    base.initialize()
    return base


@functools.lru_cache(maxsize=8)
def jieba_with_user_words(user_words: tuple[str, ...]) -> "jieba.Tokenizer":
    """A private jieba tokenizer holding ``user_words``; cached per word set.

    The dictionary is loaded once and each keyword set gets a copy of the
    loaded word table (a few milliseconds) instead of a fresh load.  The copy
    relies on jieba 0.42's ``FREQ``/``total`` attributes; if they are missing
    the tokenizer loads its dictionary itself.
    """
    import jieba

    base = _base_jieba()
    tokenizer = jieba.Tokenizer()
    if isinstance(getattr(base, "FREQ", None), dict) and isinstance(getattr(base, "total", None), (int, float)):
        tokenizer.FREQ = dict(base.FREQ)
        tokenizer.total = base.total
        tokenizer.initialized = True
    else:  # pragma: no cover - only with a jieba whose internals changed
        tokenizer.initialize()
    for word in user_words:
        tokenizer.add_word(word, freq=USER_WORD_FREQUENCY)
    return tokenizer


class Segmenter:
    """jieba's pieces of each text, for one set of user words, from the cache where it has them.

    ``cut`` answers from the segmentation cache, else from jieba (loaded then);
    ``save`` writes the texts cut by jieba back to the cache.
    """

    def __init__(self, user_words: Sequence[str]) -> None:
        self._user_words = tuple(user_words)
        self._key = _digest(jieba_installation(), USER_WORD_FREQUENCY, self._user_words)
        self._known: dict[str, list[str]] | None = None
        self._used: dict[str, list[str]] = {}
        self._new = False
        folder = _jieba_folder()
        self._path = folder / f"segments-{self._key}.json" if folder is not None else None

    def cut(self, text: str) -> list[str]:
        """jieba's pieces of ``text`` (``Tokenizer.cut`` with its defaults), empty pieces dropped."""
        if self._known is None:
            self._known = self._load()
        pieces = self._known.get(text)
        if pieces is None:
            pieces = [piece for piece in jieba_with_user_words(self._user_words).cut(text) if piece]
            self._known[text] = pieces
            self._new = True
        self._used[text] = pieces
        return pieces

    def _load(self) -> dict[str, list[str]]:
        if self._path is None:
            return {}
        try:
            stored = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        segments = stored.get("segments") if isinstance(stored, dict) and stored.get("key") == self._key else None
        if not isinstance(segments, dict):
            return {}
        return {text: pieces for text, pieces in segments.items()
                if isinstance(pieces, list) and all(isinstance(p, str) for p in pieces)}

    def save(self) -> None:
        """Write the cache when jieba cut something new (replacing the file whole); never raises."""
        if not self._new or self._path is None or self._known is None:
            return
        segments = self._known if len(self._known) <= MAX_CACHED_TEXTS else self._used
        data = json.dumps({"key": self._key, "segments": segments}, ensure_ascii=False).encode("utf-8")
        try:
            handle, temp = tempfile.mkstemp(prefix=".segments-", suffix=".tmp", dir=self._path.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temp, self._path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            return
        self._new = False
