"""`xlcbec import`: yearbook-style tables into a template's Panel, on real .xlsx and .csv files.

Two routes to one Panel: the same values given as wide tables (one sheet per
variable, Chinese sheet names, city names spelled as yearbooks do, one
variable as a GBK CSV) and as one long table must give the same Panel,
exactly (values have four decimals, so openpyxl's 16-digit text round-trips
them exactly; both routes write through the same writer anyway).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlcbec.book.city_names import city_index, city_key
from xlcbec.book.reading import read_inputs
from xlcbec.cli import main
from xlcbec.errors import InputError, InputErrors
from xlcbec.jobs import import_tables

YEARS = (2015, 2016, 2017)
CODES = (110000, 120000, 130100, 150900, 330100, 150800)  # Beijing, Tianjin, Shijiazhuang, Ulanqab, Hangzhou, Bayannur


def truth() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = [(code, year) for code in CODES for year in YEARS]
    return pd.DataFrame({
        "city": [c for c, _ in rows], "year": [y for _, y in rows],
        "lnpop": np.round(rng.normal(6, 0.5, len(rows)), 4),
        "population": np.round(rng.uniform(1e6, 2e7, len(rows))),
        "envir": np.round(rng.uniform(50, 90, len(rows)), 4),
    })


# How a yearbook may print each city: suffix dropped, spaces (full-width, non-breaking), old 地区/盟 forms.
SPELLINGS = {110000: "北京", 120000: "天津市", 130100: "石家庄\u3000市", 150900: "乌兰察布盟", 330100: "杭\u00a0州",
             150800: "巴彦淖尔地区"}


def write_wide(path: Path, data: pd.DataFrame, variables: dict[str, str], *, title: bool = True) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for code, sheet in variables.items():
        ws = workbook.create_sheet(sheet)
        if title:
            ws.append([f"表 {sheet}（按城市分）"])
        ws.append(["地区", *[f"{y}年" for y in YEARS]])
        for city, group in data.groupby("city", sort=False):
            ws.append([SPELLINGS[city], *group[code].tolist()])
    workbook.save(path)
    return path


def write_gbk_csv(path: Path, data: pd.DataFrame, code: str) -> Path:
    lines = ["城市," + ",".join(str(y) for y in YEARS)]
    for city, group in data.groupby("city", sort=False):
        cells = [f"{v:,.0f}" if v >= 1000 else f"{v}" for v in group[code]]  # thousands separators, as text
        name = SPELLINGS[city].replace("\u00a0", " ")  # GBK has no non-breaking space
        lines.append(name + "," + ",".join(f'"{c}"' for c in cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def write_long(path: Path, data: pd.DataFrame) -> Path:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "panel"
    ws.append(["城市 city", "年份", "人口规模（对数）", "population", "营商环境"])
    for record in data.itertuples(index=False):
        ws.append([city_index().names[record.city][0], record.year, record.lnpop, record.population, record.envir])
    workbook.save(path)
    return path


def panel_of(book: Path) -> pd.DataFrame:
    return read_inputs(book).panel.reset_index(drop=True)


def test_wide_tables_give_the_long_tables_panel_exactly(tmp_path, capsys):
    data = truth()
    wide = write_wide(tmp_path / "yearbook.xlsx", data, {"lnpop": "人口规模（对数）", "envir": "营商环境"})
    gbk = write_gbk_csv(tmp_path / "年末总人口.csv", data, "population")
    long = write_long(tmp_path / "long.xlsx", data)
    from_wide = import_tables([wide, gbk], tmp_path / "from_wide.xlsx")
    from_long = import_tables([long], tmp_path / "from_long.xlsx")
    assert from_wide.variables == from_long.variables == ("lnpop", "population", "envir")
    assert from_wide.thousands == len(CODES) * len(YEARS)  # every population cell had separators
    assert any("thousands separators converted" in line for line in from_wide.lines())
    a, b = panel_of(tmp_path / "from_wide.xlsx"), panel_of(tmp_path / "from_long.xlsx")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    expected = data.sort_values(["city", "year"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[list(expected.columns)], expected, check_exact=True, check_dtype=False)
    # Chinese city names: a Chinese template; check reads it (Cities agree with the Panel) and names what is
    # still missing on the sheet and under the header as the template spells them.
    assert "面板数据 Panel" in openpyxl.load_workbook(tmp_path / "from_wide.xlsx", read_only=True).sheetnames
    assert main(["check", str(tmp_path / "from_wide.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "Sheet '面板数据 Panel', column '科学技术支出占地方一般公共预算支出比重 sci_exp_share': the indicator has no values" in err


def test_unmatched_and_repeated_cities_are_listed_and_nothing_is_written(tmp_path, capsys):
    data = truth()
    wide = write_wide(tmp_path / "yearbook.xlsx", data, {"lnpop": "人口规模（对数）"}, title=False)
    workbook = openpyxl.load_workbook(wide)
    ws = workbook["人口规模（对数）"]
    ws.append(["杭州市", 1.0, 2.0, 3.0])  # Hangzhou again (row 8): each year twice
    ws.append(["火星市", 1.0, 2.0, 3.0])  # no such city (row 9)
    workbook.save(wide)
    before = hashlib.sha256(wide.read_bytes()).hexdigest()
    out = tmp_path / "out.xlsx"
    assert main(["import", str(wide), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'火星市' matches none of the 285" in err and "row 9" in err and "column 'A'" in err
    assert "杭州市 (330100) 'lnpop' for 2015, 2016, 2017 is given twice" in err and "row 6 and yearbook.xlsx [人口规模（对数）] row 8" in err
    assert "Traceback" not in err and not out.exists()
    assert hashlib.sha256(wide.read_bytes()).hexdigest() == before
    # --skip-unmatched leaves the unknown city out (and says so), but a repeated city-year still stops the import.
    with pytest.raises(InputError, match="given twice"):  # the one problem left
        import_tables([wide], out, skip_unmatched=True)
    ws.delete_rows(8)
    workbook.save(wide)
    report = import_tables([wide], out, skip_unmatched=True)
    assert report.cities == len(CODES) and len(report.skipped) == 1 and "火星市" in report.skipped[0]
    assert any("skipped" in line for line in report.lines())


def test_ambiguous_separators_and_text_are_refused_with_the_cell(tmp_path):
    path = tmp_path / "人口规模（对数）.csv"
    path.write_text("城市,2015,2016\n北京,\"1,23\",5\n天津,-,abc\n", encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        import_tables([path], tmp_path / "out.xlsx")
    messages = [str(e) for e in caught.value.errors]
    assert any("'1,23' in cell B2 is not a number" in m for m in messages)
    assert any("'abc' in cell C3" in m for m in messages)
    assert len(messages) == 2  # '-' is a 'not available' mark, read as blank


def test_import_into_a_template_and_refuse_overwrites(tmp_path):
    data = truth()
    template = tmp_path / "template.xlsx"
    assert main(["template", str(template)]) == 0
    long = write_long(tmp_path / "long.xlsx", data)
    out = tmp_path / "filled.xlsx"
    report = import_tables([long], out, into=template)
    assert report.rows == len(data) and report.output == out
    headers = [c.value for c in openpyxl.load_workbook(out)["Panel"][1]]
    assert headers[:2] == ["city", "year"] and headers.count("envir") == 1
    with pytest.raises(InputError, match="exists"):
        import_tables([long], out, into=template)
    with pytest.raises(InputError, match="already holds data"):
        import_tables([long], tmp_path / "again.xlsx", into=out)
    with pytest.raises(InputError, match="input workbook"):
        import_tables([long], template, into=template, force=True)


def test_city_names_match_as_yearbooks_print_them():
    index = city_index()
    assert len(index.names) == 285
    for spelling, code in [("北京", 110000), ("北京市", 110000), ("北 京 市", 110000), ("乌兰察布盟", 150900),
                           ("巴彦淖尔地区", 150800), ("Hangzhou", 330100), ("330100", 330100), (330100, 330100)]:
        assert index.match(spelling) == code, spelling
    assert index.match("Fuzhou") is None  # two cities share the English name: never guessed
    assert index.match("火星") is None and city_key("石家庄\u3000市") == "石家庄"


def test_a_long_csv_headed_as_yearbooks_do(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("表 主要指标\n地区,年份,年末总人口,自定义指标\n北京市,2015,\"21,705,000\",1.5\n北京市,2016,…,2.5\n",
                    encoding="utf-8-sig")
    report = import_tables([path], tmp_path / "out.xlsx")
    assert report.variables == ("population", "自定义指标") and report.placeholders == 1 and report.thousands == 1
    panel = panel_of(tmp_path / "out.xlsx")
    assert panel["population"].tolist()[0] == 21_705_000 and pd.isna(panel["population"].tolist()[1])
    assert panel["自定义指标"].tolist() == [1.5, 2.5]  # a user's own column, taken as typed
