"""The segmentation cache and jieba's dictionary cache (xlcbec.core.text.segmenter).

A cached segmentation must be exactly what jieba returns (lists of strings,
compared exactly); results of the analysis are compared exactly too (the same
integer counts, the same float division).  Each test uses a cache folder of
its own (``XLCBEC_CACHE_DIR``).
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.test_policy_text import ZH_DOCS, ZH_KEYWORDS
from xlcbec.core.text import segmenter
from xlcbec.core.text.policy_text import analyse_policy_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(segmenter.CACHE_VARIABLE, str(tmp_path))
    return tmp_path / "jieba"


def _segment_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("segments-*.json"))


def _same_result(first, second) -> None:
    pd.testing.assert_frame_equal(first.keywords, second.keywords)
    pd.testing.assert_frame_equal(first.themes, second.themes, check_exact=True)
    pd.testing.assert_frame_equal(first.themes_by_year, second.themes_by_year, check_exact=True)
    pd.testing.assert_series_equal(first.word_counts, second.word_counts)


def test_second_run_needs_no_jieba_and_counts_the_same(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    [stored] = _segment_files(cache)

    def no_jieba(user_words: tuple[str, ...]) -> None:
        raise AssertionError("jieba was needed although every text is cached")

    monkeypatch.setattr(segmenter, "jieba_with_user_words", no_jieba)
    second = analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    _same_result(first, second)
    assert _segment_files(cache) == [stored]


def test_cached_pieces_are_what_jieba_cuts(cache: Path) -> None:
    analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    [stored] = _segment_files(cache)
    data = json.loads(stored.read_text(encoding="utf-8"))
    texts = set(ZH_DOCS["text"]) | set(ZH_KEYWORDS["keyword"])
    assert texts <= set(data["segments"])
    user_words = tuple(sorted(ZH_KEYWORDS["keyword"]))
    tokenizer = segmenter.jieba_with_user_words(user_words)
    for text, pieces in data["segments"].items():
        assert pieces == [p for p in tokenizer.cut(text) if p], text


def test_another_keyword_set_has_its_own_cache(cache: Path) -> None:
    analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    fewer = ZH_KEYWORDS.loc[ZH_KEYWORDS["keyword"] != "电子商务"]
    result = analyse_policy_text(ZH_DOCS, fewer)
    assert len(_segment_files(cache)) == 2
    # 电子商务 is no user word now: jieba's own dictionary decides (it keeps the word whole)
    assert result.word_counts["电子商务"] == 1 and "电子商务" not in set(result.keywords["keyword"])


def test_a_damaged_cache_is_ignored_and_rewritten(cache: Path) -> None:
    first = analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    [stored] = _segment_files(cache)
    for damage in ("{not json", json.dumps({"key": "other", "segments": {}}),
                   json.dumps({"key": stored.stem.split("-")[1], "segments": {ZH_DOCS["text"][2]: [1, 2]}})):
        stored.write_text(damage, encoding="utf-8")
        _same_result(first, analyse_policy_text(ZH_DOCS, ZH_KEYWORDS))
        assert json.loads(stored.read_text(encoding="utf-8"))["segments"][ZH_DOCS["text"][2]] != [1, 2]


def test_no_usable_cache_folder_still_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(segmenter.CACHE_VARIABLE, str(blocker / "cache"))
    with_cache = analyse_policy_text(ZH_DOCS, ZH_KEYWORDS)
    assert not (blocker.parent / "cache").exists()
    assert with_cache.keywords["count"].sum() > 0


def test_platform_cache_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(segmenter.CACHE_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", "C:/Users/李明/AppData/Local")
    assert segmenter.cache_dir() == Path("C:/Users/李明/AppData/Local") / "xlcbec" / "Cache"
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/home/li/.cache")
    assert segmenter.cache_dir() == Path("/home/li/.cache/xlcbec")


_SEGMENT = (
    "from xlcbec.core.text.segmenter import Segmenter\n"
    "s = Segmenter(('电子商务',))\n"
    "print(' / '.join(s.cut('发展跨境电子商务，推进海关监管。')))\n"
    "s.save()\n"
)


def test_concurrent_first_runs_share_one_private_cache(tmp_path: Path) -> None:
    """Two runs at once on an empty cache folder: both cut, neither prints a word, the cache is whole after."""
    env = {**os.environ, segmenter.CACHE_VARIABLE: str(tmp_path), "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-c", _SEGMENT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert [err for _, err in outputs] == ["", ""]  # jieba's progress lines and warnings stay out of sight
    assert outputs[0][0] == outputs[1][0] and "电子商务" in outputs[0][0]
    folder = tmp_path / "jieba"
    [dictionary] = folder.glob("dict-*.cache")
    with dictionary.open("rb") as handle:
        words, total = marshal.load(handle)
    assert words["电子"] > 0 and total > 0
    [stored] = _segment_files(folder)
    assert json.loads(stored.read_text(encoding="utf-8"))["segments"]
    assert not list(folder.glob("*.tmp")) and not list(folder.glob("tmp*"))
    # and the next run answers from the cache
    again = subprocess.run([sys.executable, "-c", _SEGMENT + "import sys; print('jieba' in sys.modules)"], env=env,
                           capture_output=True, text=True, check=True)
    assert again.stdout.splitlines() == [outputs[0][0].strip(), "False"]
