"""Policy-text keyword analysis (paper Tables 1-2; docs/methods.md section 8).

Every count below is counted by hand from the corpus text, following the rule
in xlcbec.core.text.policy_text: tokens are jieba words (Chinese) or lower-cased
words (English); keywords are matched by greedy longest match on the tokens;
the token total excludes stop words, punctuation and numbers; a matched
keyword phrase is one token.
"""

from __future__ import annotations

import dataclasses
import warnings

import pandas as pd
import pytest

from xlcbec.core.results import ESTIMATE_COLUMNS, estimates_frame
from xlcbec.core.text.policy_text import analyse_policy_text, load_default_keywords
from xlcbec.core.text.policy_tokens import load_stop_words
from xlcbec.errors import DataQualityWarning, InputError, NotApplicableError

# Tolerances: counts are integers and compared exactly; shares are ratios of
# those integers times 100, compared at 1e-12 relative (float division only).
TOL_SHARE = 1e-12


def _sheet(columns: dict[str, list], first_row: int = 2) -> pd.DataFrame:
    """A DataFrame as read from a sheet: header row 1, data indexed from row 2."""
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.RangeIndex(first_row, first_row + n))


# --- Chinese corpus -----------------------------------------------------------
ZH_KEYWORDS = _sheet(
    {
        "theme": ["digital"] * 5 + ["service"] * 2 + ["environment"] * 2,
        "keyword": ["电子", "电子商务", "云计算", "数据", "大数据", "物流", "服务", "海关", "监管"],
    }
)
ZH_DOCS = _sheet(
    {
        "year": [2016, 2016, 2017],
        "title": ["文件一", "文件二", "文件三"],
        "issuer": ["国务院", "海关总署", "商务部"],
        "text": [
            # 发展 / 云计算 / 和 / 大数据 / ， / 推进 / 电子商务 / 。
            # counted: 发展 云计算 大数据 推进 电子商务 = 5 (和 stop word; ，。 punctuation)
            # keywords: 云计算 1, 大数据 1 (not 数据: longest match), 电子商务 1 (not 电子)
            "发展云计算和大数据，推进电子商务。",
            # 海关 / 监管 / 服务 / ， / 共享 / 数据 / 。
            # counted: 海关 监管 服务 共享 数据 = 5; keywords: 海关 1, 监管 1, 服务 1, 数据 1
            "海关监管服务，共享数据。",
            # 电子 / 口岸 / 与 / 物流 / 服务 / ， / 海关 / 数据 / 。
            # counted: 电子 口岸 物流 服务 海关 数据 = 6 (与 stop word)
            # keywords: 电子 1, 物流 1, 服务 1, 海关 1, 数据 1
            "电子口岸与物流服务，海关数据。",
        ],
    }
)
# Totals: tokens 5 + 5 + 6 = 16.
# Keyword (count, documents): 电子 (1,1) 电子商务 (1,1) 云计算 (1,1) 数据 (2,2) 大数据 (1,1)
#   物流 (1,1) 服务 (2,2) 海关 (2,2) 监管 (1,1).
# Themes: digital 1+1+1+2+1 = 6 -> 6/16 = 37.5%; service 1+2 = 3 -> 18.75%; environment 2+1 = 3 -> 18.75%.
# 2016 (rows 2-3, 10 tokens): digital 云计算+大数据+电子商务+数据 = 4 -> 40%; service 服务 = 1 -> 10%;
#   environment 海关+监管 = 2 -> 20%.
# 2017 (row 4, 6 tokens): digital 电子+数据 = 2 -> 33.33%; service 物流+服务 = 2 -> 33.33%; environment 1 -> 16.67%.
ZH_KEYWORD_COUNTS = {
    "电子": (1, 1), "电子商务": (1, 1), "云计算": (1, 1), "数据": (2, 2), "大数据": (1, 1),
    "物流": (1, 1), "服务": (2, 2), "海关": (2, 2), "监管": (1, 1),
}  # fmt: skip


# --- English corpus -----------------------------------------------------------
EN_KEYWORDS = _sheet(
    {
        "theme": ["digital"] * 4 + ["logistics"] * 2 + ["business"] * 2,
        "keyword": [
            "data", "Big Data", "cloud computing", "platform",
            "logistics", "cross-border logistics", "customs", "customs clearance",
        ],
    }
)  # fmt: skip
EN_DOCS = _sheet(
    {
        "year": [2018, 2018, 2019],
        "title": ["Doc A", "Doc B", "Doc C"],
        "issuer": ["MOFCOM", "GACC", "MOF"],
        "text": [
            # big data | and | cloud computing | support | the | platform | .
            # counted: big data, cloud computing, support, platform = 4 (and, the: stop words)
            # keywords: Big Data 1 (not data), cloud computing 1, platform 1
            "Big data and cloud computing support the platform.",
            # customs clearance | for | cross-border logistics | uses | data | , | and | customs | data | .
            # counted: customs clearance, cross-border logistics, uses, data, customs, data = 6
            # keywords: customs clearance 1 (not customs), cross-border logistics 1 (not logistics), data 2, customs 1
            "Customs clearance for cross-border logistics uses data, and customs data.",
            # logistics | : | 2019 | cross-border | platform | , | big | , | data | .
            # counted: logistics, cross-border, platform, big, data = 5 (2019 is a number);
            # "big, data" is no phrase: the comma sits between.  keywords: logistics 1, platform 1, data 1
            "Logistics: 2019 cross-border platform, big, data.",
        ],
    }
)
# Totals: tokens 4 + 6 + 5 = 15.
# Themes: digital data 3 + big data 1 + cloud computing 1 + platform 2 = 7 -> 46.67%;
#   logistics 1 + 1 = 2 -> 13.33%; business 1 + 1 = 2 -> 13.33%.
# 2018 (10 tokens): digital 1+1+1+2 = 5 -> 50%; logistics 1 -> 10%; business 2 -> 20%.
# 2019 (5 tokens): digital platform 1 + data 1 = 2 -> 40%; logistics 1 -> 20%; business 0 -> 0%.
EN_KEYWORD_COUNTS = {
    "data": (3, 2), "Big Data": (1, 1), "cloud computing": (1, 1), "platform": (2, 2),
    "logistics": (1, 1), "cross-border logistics": (1, 1), "customs": (1, 1), "customs clearance": (1, 1),
}  # fmt: skip


def _analyse(docs, keywords, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the clean corpora must not warn
        return analyse_policy_text(docs, keywords, **options)


@pytest.fixture(scope="module")
def zh():
    return _analyse(ZH_DOCS, ZH_KEYWORDS)


@pytest.fixture(scope="module")
def en():
    return _analyse(EN_DOCS, EN_KEYWORDS)


def _counts(result) -> dict[str, tuple[int, int]]:
    return {r.keyword: (int(r.count), int(r.documents)) for r in result.keywords.itertuples()}


def _shares(table: pd.DataFrame) -> dict[str, float]:
    return dict(zip(table["theme"], table["share_percent"]))


def test_stop_words_used_by_the_hand_counts_are_built_in():
    stop = load_stop_words()
    assert {"和", "与", "and", "the", "for"} <= stop
    # the words the hand counts keep must not be stop words
    assert not {"发展", "推进", "共享", "口岸", "support", "uses", "big", "cross-border"} & stop


def test_chinese_keyword_counts(zh):
    assert _counts(zh) == ZH_KEYWORD_COUNTS
    assert list(zh.keywords.columns) == ["theme", "keyword", "count", "documents"]
    assert list(zh.keywords["keyword"]) == list(ZH_KEYWORDS["keyword"])  # dictionary order


def test_chinese_cloud_computing_is_one_token(zh):
    assert zh.word_counts["云计算"] == 1
    assert "云" not in zh.word_counts.index and "计算" not in zh.word_counts.index


def test_chinese_tokens_and_theme_shares(zh):
    assert list(zh.documents["tokens"]) == [5, 5, 6]
    assert zh.total_tokens == 16
    themes = zh.themes.set_index("theme")
    assert list(themes["occurrences"]) == [6, 3, 3] and set(themes["total_tokens"]) == {16}
    assert _shares(zh.themes) == pytest.approx({"digital": 37.5, "service": 18.75, "environment": 18.75}, rel=TOL_SHARE)


def test_chinese_shares_per_year(zh):
    by_year = zh.themes_by_year
    y2016 = by_year[by_year["year"] == 2016]
    y2017 = by_year[by_year["year"] == 2017]
    assert set(y2016["total_tokens"]) == {10} and set(y2017["total_tokens"]) == {6}
    assert _shares(y2016) == pytest.approx({"digital": 40.0, "service": 10.0, "environment": 20.0}, rel=TOL_SHARE)
    assert _shares(y2017) == pytest.approx(
        {"digital": 200 / 6, "service": 200 / 6, "environment": 100 / 6}, rel=TOL_SHARE
    )
    # two routes: the yearly occurrences add up to the overall ones
    summed = by_year.groupby("theme")["occurrences"].sum()
    assert summed.to_dict() == zh.themes.set_index("theme")["occurrences"].to_dict()


def test_keyword_inside_longer_keyword_follows_the_dictionary():
    # Without 电子商务 in the dictionary but with 电子 and 商务, jieba splits 电子商务 (both are
    # high-frequency user words), so 电子 and 商务 each count once in doc 1; 大数据 likewise
    # becomes 大 / 数据 when 大数据 is not a keyword.  The same text as ZH_DOCS row 2.
    keywords = _sheet({"theme": ["digital", "service", "digital"], "keyword": ["电子", "商务", "数据"]})
    result = _analyse(ZH_DOCS.loc[[2]], keywords)
    assert _counts(result) == {"电子": (1, 1), "商务": (1, 1), "数据": (1, 1)}
    # and 云计算, no keyword here, is split by jieba's own dictionary: the user words of the
    # previous call (a different keyword set) did not leak into this one
    assert "云计算" not in result.word_counts.index and result.word_counts["计算"] == 1


def test_private_tokenizer_leaves_global_jieba_alone():
    import jieba

    keywords = _sheet({"theme": ["t"], "keyword": ["跨境数智港湾"]})
    docs = _sheet({"year": [2020], "title": ["x"], "issuer": ["y"], "text": ["建设跨境数智港湾。"]})
    result = _analyse(docs, keywords)
    assert _counts(result) == {"跨境数智港湾": (1, 1)}
    assert "跨境数智港湾" not in jieba.dt.FREQ


def test_english_keyword_counts_longest_match(en):
    assert _counts(en) == EN_KEYWORD_COUNTS


def test_english_tokens_shares_and_top_words(en):
    assert list(en.documents["tokens"]) == [4, 6, 5]
    assert _shares(en.themes) == pytest.approx(
        {"digital": 700 / 15, "logistics": 200 / 15, "business": 200 / 15}, rel=TOL_SHARE
    )
    by_year = en.themes_by_year
    assert _shares(by_year[by_year["year"] == 2018]) == pytest.approx(
        {"digital": 50.0, "logistics": 10.0, "business": 20.0}, rel=TOL_SHARE
    )
    assert _shares(by_year[by_year["year"] == 2019]) == pytest.approx(
        {"digital": 40.0, "logistics": 20.0, "business": 0.0}, rel=TOL_SHARE
    )
    # data 3, platform 2, then the words counted once, alphabetically: big, big data, ...
    top = en.top_words(3)
    assert list(top["word"]) == ["data", "platform", "big"] and list(top["count"]) == [3, 2, 1]
    assert list(top.index) == [1, 2, 3]
    assert "the" not in en.word_counts.index and "2019" not in en.word_counts.index
    assert int(en.word_counts.sum()) == en.total_tokens  # two routes to the token total


def test_documents_table(en):
    docs = en.documents
    assert list(docs.index) == [2, 3, 4]
    assert list(docs.columns) == ["year", "title", "issuer", "tokens", "language"]
    assert list(docs["language"]) == ["en", "en", "en"]


def test_to_estimates(zh):
    rows = zh.to_estimates()
    frame = estimates_frame(rows)
    assert tuple(frame.columns) == ESTIMATE_COLUMNS
    keyword_rows = frame[frame["analysis"] == "policy_keyword"].set_index("term")
    assert keyword_rows.loc["数据", "estimate"] == 2 and keyword_rows.loc["数据", "nobs"] == 2
    assert keyword_rows.loc["数据", "model"] == "digital"
    theme_rows = frame[frame["analysis"] == "policy_theme"].set_index("model")
    assert set(theme_rows["term"]) == {"share"}
    assert theme_rows.loc["digital", "estimate"] == pytest.approx(37.5, rel=TOL_SHARE)
    assert theme_rows.loc["digital", "nobs"] == 16
    assert len(frame) == len(ZH_KEYWORDS) + 3


def test_built_in_dictionary_matches_test_data(test_data):
    source = pd.read_csv(test_data / "policy_keywords.csv", dtype=str)
    zh = load_default_keywords("zh")
    en = load_default_keywords("en")
    both = load_default_keywords()
    assert list(zh.columns) == ["theme", "keyword"]
    assert list(zh["keyword"]) == list(source["keyword_zh"]) and list(en["keyword"]) == list(source["keyword_en"])
    # both = zh then en, without the second 5G (same keyword in both languages)
    assert len(both) == 2 * len(source) - 1 and list(both["keyword"]).count("5G") == 1
    assert list(both.index) == list(range(2, len(both) + 2))
    with pytest.raises(ValueError, match="zh, en, both"):
        load_default_keywords("fr")  # type: ignore[arg-type]


def test_built_in_dictionary_on_mixed_corpus():
    docs = _sheet(
        {
            "year": [2019, 2020],
            "title": ["a", "b"],
            "issuer": ["x", "y"],
            # 推进 / 云计算 / 和 / 5G / 网络安全 / 。 -> keywords 云计算, 5G, 网络安全 (not 网络)
            # Cloud Computing | and | big data | . -> keywords Cloud Computing, Big Data
            "text": ["推进云计算和5G网络安全。", "Cloud computing and big data."],
        }
    )
    result = _analyse(docs, None)
    assert result.dictionary == "built-in"
    counts = {k: v for k, v in _counts(result).items() if v[0]}
    assert counts == {
        "云计算": (1, 1), "5G": (1, 1), "网络安全": (1, 1), "Cloud Computing": (1, 1), "Big Data": (1, 1),
    }  # fmt: skip
    # 5G is in the CSV in both languages but is one dictionary row, so it is not counted twice
    assert list(result.keywords["keyword"]).count("5G") == 1
    assert list(result.documents["language"]) == ["zh", "en"]
    # an empty Keywords sheet also means the built-in dictionary
    empty = pd.DataFrame({"theme": pd.Series(dtype=object), "keyword": pd.Series(dtype=object)})
    assert _analyse(docs, empty).dictionary == "built-in"


def test_no_documents_is_not_applicable():
    empty = pd.DataFrame(columns=["year", "title", "issuer", "text"])
    with pytest.raises(NotApplicableError, match="no row with text.*skipped"):
        analyse_policy_text(empty, ZH_KEYWORDS)
    blank = _sheet({"year": [2020, 2021], "title": ["a", "b"], "issuer": ["x", "y"], "text": ["  ", None]})
    with pytest.raises(NotApplicableError, match="no row with text"):
        analyse_policy_text(blank, ZH_KEYWORDS)
    only_stop_words = _sheet({"year": [2020], "title": ["a"], "issuer": ["x"], "text": ["的 和 the 2020 。"]})
    with pytest.raises(NotApplicableError, match="no countable words"):
        analyse_policy_text(only_stop_words, ZH_KEYWORDS)


def test_blank_keyword_cells_name_sheet_row_and_column():
    keywords = _sheet({"theme": ["digital", None, "service"], "keyword": ["数据", "物流", "服务"]})
    with pytest.raises(InputError) as info:
        analyse_policy_text(ZH_DOCS, keywords)
    assert str(info.value).startswith("Sheet 'Keywords', row 3, column 'theme': the theme is blank")
    assert "Fix:" in str(info.value)
    keywords = _sheet({"theme": ["digital", "service"], "keyword": ["数据", "   "]})
    with pytest.raises(InputError, match="Sheet 'Keywords', row 3, column 'keyword': the keyword is blank"):
        analyse_policy_text(ZH_DOCS, keywords)
    # a row blank in both columns is a gap in the sheet, not an entry
    keywords = _sheet({"theme": ["digital", None, "service"], "keyword": ["数据", None, "服务"]})
    assert len(_analyse(ZH_DOCS, keywords).keywords) == 2


def test_repeated_keyword_is_an_error():
    keywords = _sheet({"theme": ["digital", "digital"], "keyword": ["Big data", "big  DATA"]})
    expected = r"Sheet 'Keywords', rows 2, 3, column 'keyword': the keyword 'big DATA' appears twice"
    with pytest.raises(InputError, match=expected):
        analyse_policy_text(EN_DOCS, keywords)
    # the same keyword under two themes is allowed and counts in both
    keywords = _sheet({"theme": ["digital", "business"], "keyword": ["customs", "customs"]})
    result = _analyse(EN_DOCS, keywords)
    # without "customs clearance" in the dictionary, row 3 holds "customs" twice
    # ("Customs clearance", "customs data"), counted for each theme
    assert list(result.themes["occurrences"]) == [2, 2]


def test_missing_column_and_bad_year():
    with pytest.raises(InputError, match="Sheet 'Policies', column 'text'"):
        analyse_policy_text(ZH_DOCS.drop(columns="text"), ZH_KEYWORDS)
    with pytest.raises(InputError, match="Sheet 'Keywords', column 'keyword'"):
        analyse_policy_text(ZH_DOCS, ZH_KEYWORDS.rename(columns={"keyword": "word"}))
    docs = ZH_DOCS.copy()
    docs["year"] = docs["year"].astype(object)
    docs.loc[3, "year"] = "2016年"
    expected = "Sheet 'Policies', row 3, column 'year': expected a year as a whole number, found '2016年'"
    with pytest.raises(InputError, match=expected):
        analyse_policy_text(docs, ZH_KEYWORDS)
    docs.loc[3, "year"] = None
    with pytest.raises(InputError, match="row 3, column 'year': the year is blank"):
        analyse_policy_text(docs, ZH_KEYWORDS)
    docs.loc[3, "year"] = "2016"  # a year typed as text is fine
    assert list(_analyse(docs, ZH_KEYWORDS).documents["year"]) == [2016, 2016, 2017]


def test_number_cells_are_read_as_text_and_blank_text_warns():
    docs = _sheet(
        {
            "year": [2018.0, 2018, 2019],
            "title": ["a", 42, None],
            "issuer": ["x", "y", "z"],
            # row 2: 12345 -> "12345", a number token: 0 counted tokens
            # row 3: data | platform -> 2 tokens, both keywords
            # row 4: blank -> warning; 2019 has no tokens -> left out of the per-year table
            "text": [12345, "Data platform", None],
        }
    )
    with pytest.warns(DataQualityWarning) as record:
        result = analyse_policy_text(docs, EN_KEYWORDS)
    messages = [str(w.message) for w in record]
    assert messages == list(result.notes)
    assert messages[0] == "Sheet 'Policies', row 4: the text is blank, so these documents add no words to the counts"
    assert list(result.documents["tokens"]) == [0, 2, 0]
    assert list(result.documents["title"]) == ["a", "42", ""]
    assert set(result.themes_by_year["year"]) == {2018}
    assert any("2019" in message for message in result.notes)
    assert _counts(result)["data"] == (1, 1) and _counts(result)["platform"] == (1, 1)


def test_custom_stop_words_replace_the_built_in_list():
    # "support" becomes a stop word, "the" and "and" no longer are: doc row 2 of EN_DOCS
    # big data | and | cloud computing | the | platform -> 5 counted tokens
    result = _analyse(EN_DOCS.loc[[2]], EN_KEYWORDS, stop_words=["Support"])
    assert list(result.documents["tokens"]) == [5]


def test_result_is_frozen_and_top_words_validates(zh):
    with pytest.raises(dataclasses.FrozenInstanceError):
        zh.dictionary = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="n >= 1"):
        zh.top_words(0)
