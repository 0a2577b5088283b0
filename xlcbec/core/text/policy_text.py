"""Policy-text keyword analysis: the paper's Tables 1-2 (docs/methods.md section 8).

Inputs are the ``Policies`` sheet (``year``, ``title``, ``issuer``, ``text``;
one document a row) and the ``Keywords`` sheet (``theme``, ``keyword``); both
DataFrames are indexed by spreadsheet row.  An empty ``Keywords`` sheet means
the built-in dictionary (:func:`load_default_keywords`).

Counting rule (tokenising details in :mod:`xlcbec.core.text.policy_tokens`):

* Each document is tokenised (jieba for Chinese with every dictionary keyword
  as a user word; lower-cased words for English).  Keywords are counted on the
  token sequence by greedy longest match, so a keyword that only occurs inside
  a longer dictionary keyword is not counted separately: with both ``电子`` and
  ``电子商务`` in the dictionary, ``电子商务`` counts once for ``电子商务`` and not
  for ``电子``; with ``data`` and ``big data``, "big data" counts once for
  ``big data``.  Matching ignores case.
* The token total counts keyword matches (a phrase once) and every other token
  that is not a stop word (``xlcbec/data/stopwords.txt``), punctuation or a
  number.  Keywords are never stop words.
* A theme's weighted proportion is its keywords' occurrences divided by the
  token total, times 100, over all documents and per year.  A keyword listed
  under two themes counts in both.
* Top words are the most frequent counted tokens (ties alphabetical).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

import pandas as pd

from xlcbec.core.numbers import located_error, require_columns
from xlcbec.core.results import estimate_row
from xlcbec.core.text.policy_tokens import (
    DocumentTokens,
    KeywordTokenizer,
    keyword_key,
    normalise_stop_words,
    unmatchable_keywords,
)
from xlcbec.errors import DataQualityWarning, InputError, NotApplicableError

KeywordLanguage = Literal["zh", "en", "both"]
KEYWORD_LANGUAGES: tuple[str, ...] = get_args(KeywordLanguage)

POLICIES_SHEET = "Policies"
KEYWORDS_SHEET = "Keywords"
DOCUMENT_COLUMNS: tuple[str, ...] = ("year", "title", "issuer", "text")
KEYWORD_COLUMNS: tuple[str, ...] = ("theme", "keyword")
DEFAULT_TOP_WORDS = 20


@dataclass(frozen=True, eq=False)
class PolicyTextResult:
    """Keyword and theme frequencies of a set of policy documents, labelled.

    Attributes (K dictionary rows, H themes, Y years, D documents)
    ----------
    keywords : DataFrame (K rows, dictionary order): ``theme``, ``keyword``,
        ``count`` (occurrences in all documents), ``documents`` (documents
        containing it at least once).
    themes : DataFrame (H rows, order of first appearance in the dictionary):
        ``theme``, ``occurrences``, ``total_tokens``, ``share_percent``
        (= occurrences / total_tokens * 100).
    themes_by_year : DataFrame (Y x H rows): ``year`` plus the columns of
        ``themes``, tokens and occurrences of that year's documents.  A year
        whose documents have no countable word is left out (with a warning).
    documents : DataFrame (D rows, index = Policies sheet rows): ``year``,
        ``title``, ``issuer``, ``tokens`` (counted tokens), ``language``
        (``zh`` when the text holds Chinese characters, else ``en``).
    word_counts : Series of every counted token -> occurrences, most frequent
        first (ties alphabetical); keyword phrases appear as one word.
    dictionary : ``"built-in"`` or ``"Keywords sheet"``.
    warnings : data-quality messages (also issued as :class:`DataQualityWarning`).
    """

    keywords: pd.DataFrame
    themes: pd.DataFrame
    themes_by_year: pd.DataFrame
    documents: pd.DataFrame
    word_counts: pd.Series
    dictionary: str
    notes: tuple[str, ...] = ()

    @property
    def total_tokens(self) -> int:
        return int(self.documents["tokens"].sum())

    def top_words(self, n: int = DEFAULT_TOP_WORDS) -> pd.DataFrame:
        """The ``n`` most frequent counted words: columns ``word``, ``count``; index = rank from 1."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"top_words needs a whole number n >= 1, got {n!r}")
        top = self.word_counts.head(int(n))
        table = pd.DataFrame({"word": top.index.astype(str), "count": top.to_numpy(dtype="int64")})
        table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
        return table

    def to_estimates(self) -> list[dict[str, Any]]:
        """Rows for the Estimates sheet: ``policy_keyword`` per keyword, ``policy_theme`` share per theme."""
        k = self.keywords
        rows = [
            estimate_row("policy_keyword", str(theme), str(keyword), int(count), nobs=int(documents))
            for theme, keyword, count, documents in zip(k["theme"], k["keyword"], k["count"], k["documents"])
        ]
        t = self.themes
        rows += [
            estimate_row(
                "policy_theme",
                str(theme),
                "share",
                float(share),
                nobs=int(total),
                note=f"{int(occurrences)} keyword occurrences in {int(total)} tokens",
            )
            for theme, occurrences, total, share in zip(
                t["theme"], t["occurrences"], t["total_tokens"], t["share_percent"]
            )
        ]
        return rows


def _on_sheet(sheet: str, error: InputError) -> InputError:
    """``error`` placed on the input sheet this analysis reads."""
    return InputError(error.problem, sheet=sheet, row=error.rows or None, column=error.column, fix=error.fix)


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], sheet: str) -> None:
    """The core's column check, on the input sheet this analysis reads (its messages name it)."""
    try:
        require_columns(frame, columns)
    except InputError as error:
        raise _on_sheet(sheet, error) from None


def load_default_keywords(language: KeywordLanguage = "both") -> pd.DataFrame:
    """The built-in theme dictionary (``xlcbec/data/policy_keywords.csv``) as ``theme``, ``keyword``.

    ``"zh"`` gives the Chinese keywords, ``"en"`` the English ones, ``"both"``
    the Chinese then the English rows, without repeating a keyword both share
    (``5G``).  Indexed from 2 like a filled ``Keywords`` sheet.
    """
    if language not in KEYWORD_LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(KEYWORD_LANGUAGES)}; got {language!r}")
    with resources.files("xlcbec").joinpath("data", "policy_keywords.csv").open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    parts = []
    for lang in ("zh", "en"):
        if language in (lang, "both"):
            parts.append(pd.DataFrame({"theme": table["theme"], "keyword": table[f"keyword_{lang}"]}))
    frame = pd.concat(parts, ignore_index=True)
    seen = frame["theme"] + "\x00" + frame["keyword"].map(keyword_key)
    frame = frame.loc[~seen.duplicated()].reset_index(drop=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame


def analyse_policy_text(
    documents: pd.DataFrame,
    keywords: pd.DataFrame | None = None,
    *,
    stop_words: Iterable[str] | None = None,
) -> PolicyTextResult:
    """Keyword frequencies, theme shares (overall and per year) and top words.

    Parameters
    ----------
    documents : the Policies sheet (``year``, ``title``, ``issuer``, ``text``),
        indexed by spreadsheet row.  Fully blank rows are ignored; a text cell
        holding a number is read as text.
    keywords : the Keywords sheet (``theme``, ``keyword``); ``None`` or no rows
        means the built-in dictionary in both languages.
    stop_words : replaces the built-in stop-word list (matched ignoring case).

    Raises
    ------
    NotApplicableError : no documents, or no document has text (the analysis is skipped).
    InputError : a missing column, a blank theme or keyword, a repeated keyword,
        a blank or non-integer year.
    """
    if isinstance(stop_words, str):  # one word, not its characters
        stop_words = [stop_words]
    dictionary, source = _dictionary(keywords)
    docs = _documents(documents)
    tokenizer = KeywordTokenizer(
        dictionary["keyword"], stop_words=None if stop_words is None else normalise_stop_words(stop_words)
    )
    messages: list[str] = []

    blank = [row for row, text in docs["text"].items() if not text.strip()]
    if blank:
        messages.append(_located(blank, "the text is blank, so these documents add no words to the counts"))

    analysed: dict[Hashable, DocumentTokens] = {row: tokenizer.analyse(text) for row, text in docs["text"].items()}
    tokenizer.save()
    token_counts = pd.Series({row: len(doc.words) for row, doc in analysed.items()}, dtype="int64")
    if int(token_counts.sum()) == 0:
        raise NotApplicableError(
            "The policy texts contain no countable words (only stop words, punctuation or numbers); "
            "the policy-text analysis is skipped. Paste the documents' full text into the 'text' column "
            f"of the '{POLICIES_SHEET}' sheet."
        )

    keyword_table = _keyword_table(dictionary, analysed)
    themes = _theme_table(keyword_table, int(token_counts.sum()))
    by_year = []
    for year in sorted(int(y) for y in docs["year"].unique()):
        rows = list(docs.index[docs["year"] == year])
        year_total = int(token_counts[list(rows)].sum())
        if year_total == 0:
            messages.append(
                f"Sheet '{POLICIES_SHEET}': the documents of {year} have no countable words; "
                "that year is left out of the per-year theme shares"
            )
            continue
        year_keywords = _keyword_table(dictionary, {row: analysed[row] for row in rows})
        by_year.append(_theme_table(year_keywords, year_total).assign(year=year))
    themes_by_year = (
        pd.concat(by_year, ignore_index=True)[["year", *themes.columns]]
        if by_year
        else pd.DataFrame(columns=["year", *themes.columns])
    )

    word_totals: Counter[str] = Counter()
    for doc in analysed.values():
        word_totals.update(doc.words)
    ranked = sorted(word_totals.items(), key=lambda item: (-item[1], item[0]))
    word_counts = pd.Series(
        [count for _, count in ranked],
        index=pd.Index([word for word, _ in ranked], name="word", dtype=object),
        name="count",
        dtype="int64",
    )

    document_table = docs[["year", "title", "issuer"]].copy()
    document_table["tokens"] = token_counts.reindex(docs.index).to_numpy(dtype="int64")
    document_table["language"] = [analysed[row].language for row in docs.index]

    for message in messages:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return PolicyTextResult(
        keywords=keyword_table,
        themes=themes,
        themes_by_year=themes_by_year,
        documents=document_table,
        word_counts=word_counts,
        dictionary=source,
        notes=tuple(messages),
    )


def _located(rows: list[Hashable], text: str) -> str:
    word = "row" if len(rows) == 1 else "rows"
    shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
    return f"Sheet '{POLICIES_SHEET}', {word} {shown}: {text}"


def _keyword_table(dictionary: pd.DataFrame, analysed: dict[Hashable, DocumentTokens]) -> pd.DataFrame:
    keys = dictionary["keyword"].map(keyword_key)
    counts = [sum(doc.keywords.get(key, 0) for doc in analysed.values()) for key in keys]
    containing = [sum(1 for doc in analysed.values() if doc.keywords.get(key, 0) > 0) for key in keys]
    return pd.DataFrame(
        {
            "theme": dictionary["theme"].to_numpy(dtype=object),
            "keyword": dictionary["keyword"].to_numpy(dtype=object),
            "count": pd.array(counts, dtype="int64"),
            "documents": pd.array(containing, dtype="int64"),
        }
    )


def _theme_table(keyword_table: pd.DataFrame, total_tokens: int) -> pd.DataFrame:
    occurrences = keyword_table.groupby("theme", sort=False)["count"].sum()
    return pd.DataFrame(
        {
            "theme": occurrences.index.astype(object),
            "occurrences": occurrences.to_numpy(dtype="int64"),
            "total_tokens": total_tokens,
            "share_percent": occurrences.to_numpy(dtype=float) / total_tokens * 100.0,
        }
    )


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: object) -> str:
    """A cell as text: blank -> "", whole-number floats without ".0" (Excel stores 5 as 5.0)."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _drop_blank_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    # A row blank in every column is a gap in the sheet, not an entry.
    filled = frame[list(columns)].apply(lambda column: ~column.map(_is_blank)).any(axis=1)
    return frame.loc[filled]


def _dictionary(keywords: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    if keywords is None:
        return load_default_keywords("both"), "built-in"
    _require_columns(keywords, KEYWORD_COLUMNS, KEYWORDS_SHEET)
    rows = _drop_blank_rows(keywords, KEYWORD_COLUMNS)
    if rows.empty:
        return load_default_keywords("both"), "built-in"
    for column in KEYWORD_COLUMNS:
        blank = [row for row, value in rows[column].items() if _is_blank(value)]
        if blank:
            raise _on_sheet(KEYWORDS_SHEET, located_error(
                f"the {column} is blank",
                rows=blank,
                column=column,
                fix=f"enter the {column} on every keyword row, or delete the row",
            ))
    table = pd.DataFrame(
        {
            "theme": [_as_text(v) for v in rows["theme"]],
            "keyword": [" ".join(_as_text(v).split()) for v in rows["keyword"]],
        },
        index=rows.index,
    )
    unmatchable = unmatchable_keywords(list(table["keyword"]))
    bad = [row for row, keyword in table["keyword"].items() if keyword in unmatchable]
    if bad:
        raise _on_sheet(KEYWORDS_SHEET, located_error(
            f"the keyword {unmatchable[0]!r} has no letters, digits or punctuation, so it can never be found",
            rows=bad,
            column="keyword",
            fix="enter a word or phrase",
        ))
    first_row: dict[tuple[str, str], Hashable] = {}
    for row, theme, keyword in zip(table.index, table["theme"], table["keyword"]):
        entry = (theme, keyword_key(keyword))
        if entry in first_row:
            raise _on_sheet(KEYWORDS_SHEET, located_error(
                f"the keyword {keyword!r} appears twice in theme {theme!r} (case and spacing are ignored), "
                "so its occurrences would be counted twice",
                rows=[first_row[entry], row],
                column="keyword",
                fix="delete one of the two rows",
            ))
        first_row[entry] = row
    return table, "Keywords sheet"


def _documents(documents: pd.DataFrame) -> pd.DataFrame:
    _require_columns(documents, DOCUMENT_COLUMNS, POLICIES_SHEET)
    rows = _drop_blank_rows(documents, DOCUMENT_COLUMNS)
    if rows.empty or not any(_as_text(v) for v in rows["text"]):
        raise NotApplicableError(
            f"No policy documents: the '{POLICIES_SHEET}' sheet has no row with text, so the policy-text "
            f"analysis is skipped. To run it, fill year, title, issuer and text on the '{POLICIES_SHEET}' sheet."
        )
    blank_year = [row for row, value in rows["year"].items() if _is_blank(value)]
    if blank_year:
        raise _on_sheet(POLICIES_SHEET, located_error(
            "the year is blank",
            rows=blank_year,
            column="year",
            fix="enter the year the document was issued, e.g. 2018",
        ))
    years = []
    for row, value in rows["year"].items():
        year = _whole_number(value)
        if year is None:
            raise _on_sheet(POLICIES_SHEET, located_error(
                f"expected a year as a whole number, found {value!r}",
                rows=[row],
                column="year",
                fix="enter the year as a number such as 2018 (no text like '2018年')",
            ))
        years.append(year)
    return pd.DataFrame(
        {
            "year": pd.array(years, dtype="int64"),
            "title": [_as_text(v) for v in rows["title"]],
            "issuer": [_as_text(v) for v in rows["issuer"]],
            "text": [_as_text(v) for v in rows["text"]],
        },
        index=rows.index,
    )


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return int(number) if math.isfinite(number) and number.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None
