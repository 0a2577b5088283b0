"""Splitting policy documents into tokens and finding dictionary keywords among them.

This module is the tokeniser behind :mod:`xlcbec.core.text.policy_text`
(docs/methods.md section 8).  Rules:

* A text containing any CJK ideograph is Chinese and is segmented with jieba;
  any other text is English and split into lower-cased word tokens (letters and
  digits, with inner hyphens or apostrophes kept: ``cross-border`` is one
  token) and single punctuation marks.
* jieba runs on a private ``jieba.Tokenizer`` per keyword set, never on the
  global one, so one dictionary's user words cannot change another call's
  segmentation.  Every keyword that contains a CJK character is added as a
  user word with a frequency above every word of jieba's own dictionary, so
  ``云计算`` is one token.  A word of jieba's own dictionary that contains a
  keyword but is not itself a keyword is segmented whichever way jieba finds
  more probable: with ``电子`` and ``商务`` both keywords, ``电子商务`` becomes
  ``电子 / 商务`` (two keyword occurrences); with only ``电子``, it stays one
  non-keyword token; ``数据共享`` stays one token even with ``数据`` a keyword.
  To control such a word, put it in the dictionary itself.  Latin-script
  keywords are not added to jieba (that would split ``database`` at ``data``);
  they are matched as phrases below.
* Keywords are found on the token sequence by greedy longest match: at each
  position the longest keyword whose tokens follow is taken and its tokens are
  consumed.  So a keyword inside a longer dictionary keyword is not counted
  again (``data`` inside ``big data``; in Chinese the user words already make
  ``电子商务`` one token when it is in the dictionary), and a matched phrase
  counts as one token.  Matching ignores case; punctuation tokens stay in the
  sequence while matching, so a phrase never runs across a comma.
* Counted tokens: keyword matches, and every other token that is not a stop
  word, not punctuation/symbols only and not a number (digits with ``.,%:/-``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from xlcbec.core.text.segmenter import Segmenter

TextLanguage = Literal["zh", "en"]

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_ENGLISH_TOKEN = re.compile(r"[^\W_]+(?:[-'\u2019][^\W_]+)*|[^\w\s]")
_WORD = re.compile(r"[^\W_]+")
_JOINERS = ("-", "'", "\u2019")
_NUMBER = re.compile(r"[\d.,%:/\-]*\d[\d.,%:/\-]*")


def is_chinese(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph (it is then segmented with jieba)."""
    return _CJK.search(text) is not None


def english_tokens(text: str) -> list[str]:
    """Lower-cased word tokens and single punctuation marks, in text order."""
    return [token.lower() for token in _ENGLISH_TOKEN.findall(text)]


def chinese_tokens(text: str, segmenter: Segmenter) -> list[str]:
    """jieba's segmentation, lower-cased, whitespace dropped, ``cross-border`` rejoined.

    jieba cuts Latin words at hyphens and apostrophes; they are joined again so
    that a Latin phrase gets the same tokens as in an English document.
    """
    raw = segmenter.cut(text)
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        if _is_latin_word(token):
            while i + 2 < len(raw) and raw[i + 1] in _JOINERS and _is_latin_word(raw[i + 2]):
                token += raw[i + 1] + raw[i + 2]
                i += 2
        i += 1
        if token.strip():
            tokens.append(token.strip().lower())
    return tokens


def _is_latin_word(token: str) -> bool:
    return _WORD.fullmatch(token) is not None and not is_chinese(token)


def is_countable(token: str, stop_words: frozenset[str]) -> bool:
    """Whether a non-keyword token enters the token total (not a stop word, punctuation or number)."""
    if token in stop_words:
        return False
    if all(unicodedata.category(ch)[0] in "PSZC" for ch in token):
        return False
    return _NUMBER.fullmatch(token) is None


@functools.lru_cache(maxsize=1)
def load_stop_words() -> frozenset[str]:
    """The built-in Chinese + English stop words (``xlcbec/data/stopwords.txt``), lower-cased."""
    text = resources.files("xlcbec").joinpath("data", "stopwords.txt").read_text(encoding="utf-8")
    return normalise_stop_words(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def normalise_stop_words(words: Iterable[str]) -> frozenset[str]:
    """Stop words as they are compared: trimmed, lower case, blanks dropped."""
    return frozenset(w.strip().lower() for w in words if w.strip())


def keyword_key(keyword: str) -> str:
    """The form keywords are compared in: inner whitespace collapsed, lower case."""
    return " ".join(keyword.split()).lower()


@dataclass(frozen=True)
class DocumentTokens:
    """One document after tokenising: its counted tokens and its keyword occurrences.

    ``words`` are the counted tokens in text order (a matched keyword appears
    once, as its key); ``keywords`` maps keyword key -> occurrences.
    """

    language: TextLanguage
    words: tuple[str, ...]
    keywords: Mapping[str, int]


class KeywordTokenizer:
    """Tokenises documents and counts the keywords of one dictionary in them.

    ``keywords`` are the dictionary's keywords (any case and spacing); matches
    are reported under :func:`keyword_key`.  jieba is only loaded when a
    Chinese document arrives.
    """

    def __init__(self, keywords: Iterable[str], *, stop_words: frozenset[str] | None = None) -> None:
        self._keys: tuple[str, ...] = tuple(dict.fromkeys(keyword_key(k) for k in keywords if keyword_key(k)))
        self._stop_words = load_stop_words() if stop_words is None else stop_words
        self._phrases: dict[TextLanguage, dict[str, list[tuple[tuple[str, ...], str]]]] = {}
        self._user_words = tuple(sorted(k for k in self._keys if is_chinese(k) and " " not in k))
        self._segmenter: Segmenter | None = None  # made when a Chinese text arrives

    @property
    def keys(self) -> tuple[str, ...]:
        return self._keys

    def tokens(self, text: str, language: TextLanguage) -> list[str]:
        if language == "en":
            return english_tokens(text)
        if self._segmenter is None:
            self._segmenter = Segmenter(self._user_words)
        return chinese_tokens(text, self._segmenter)

    def save(self) -> None:
        """Keep what jieba cut for the next run (:mod:`xlcbec.core.text.segmenter`)."""
        if self._segmenter is not None:
            self._segmenter.save()

    def phrase(self, key: str, language: TextLanguage) -> tuple[str, ...]:
        """The token sequence a keyword must match in a document of ``language``."""
        return tuple(self.tokens(key, language))

    def _phrase_table(self, language: TextLanguage) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        # first token -> [(phrase, key)], longest phrase first, for greedy longest match
        if language not in self._phrases:
            table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
            for key in self._keys:
                phrase = self.phrase(key, language)
                if phrase:
                    table.setdefault(phrase[0], []).append((phrase, key))
            for candidates in table.values():
                candidates.sort(key=lambda item: -len(item[0]))
            self._phrases[language] = table
        return self._phrases[language]

    def analyse(self, text: str) -> DocumentTokens:
        language: TextLanguage = "zh" if is_chinese(text) else "en"
        tokens = self.tokens(text, language)
        table = self._phrase_table(language)
        words: list[str] = []
        found: Counter[str] = Counter()
        i = 0
        while i < len(tokens):
            for phrase, key in table.get(tokens[i], ()):
                if tuple(tokens[i : i + len(phrase)]) == phrase:
                    words.append(key)
                    found[key] += 1
                    i += len(phrase)
                    break
            else:
                if is_countable(tokens[i], self._stop_words):
                    words.append(tokens[i])
                i += 1
        return DocumentTokens(language=language, words=tuple(words), keywords=dict(found))


def unmatchable_keywords(keywords: Sequence[str]) -> list[str]:
    """Keywords with no letters, digits or punctuation (they could never be found)."""
    return [k for k in keywords if not english_tokens(k)]
