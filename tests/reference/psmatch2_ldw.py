"""psmatch2's published ``kernel ate ties logit common`` output on the Lalonde/NSW experimental sample.

Provenance (PUB): the printed Stata output of

    use ldw_exper.dta, clear
    psmatch2 t age educ black hisp married re74 re75 u74 u75, out(re78) kernel ate ties logit common quietly

in a public Stata teaching do-file (a Chinese course, "高级计量经济学及stata应用,
第十五讲 倾向匹配得分 PSM", section "核匹配: 使用默认的核函数和带宽", i.e. psmatch2's
defaults: Epanechnikov kernel, bandwidth 0.06), read through the public code
index; the same do-file prints the logit of ``t`` on the nine covariates
(``LOGIT``, log likelihood -296.25026) and the support table. ``ties`` only
changes nearest-neighbour matching; ``quietly`` hides the logit. Values as
printed (``%11.0g``, 9 significant digits).

Data: ``tests/data/ldw_exper.csv`` (445 rows: 185 treated, 260 untreated);
earnings in thousands of 1978 dollars, stored as float32 in the .dta, so the
tests read those columns as float32 and widen them as Stata does.
"""

from __future__ import annotations

COVARIATES = ("age", "educ", "black", "hisp", "married", "re74", "re75", "u74", "u75")
TREATMENT = "t"
OUTCOME = "re78"
BANDWIDTH = 0.06  # psmatch2's default bwidth
FLOAT32_COLUMNS = ("re74", "re75", "re78", "u74", "u75")

# the logit (printed with 7 significant digits)
LOGIT = {"age": 0.0142619, "educ": 0.0499776, "black": -0.347664, "hisp": -0.928485, "married": 0.1760431,
         "re74": -0.0339278, "re75": 0.01221, "u74": -0.1516037, "u75": -0.3719486, "_cons": -0.4736308}
LOGIT_LLF = -296.25026

# re78 row of the psmatch2 table
UNMATCHED = {"treated": 6.34914538, "controls": 4.55480228, "difference": 1.79434311}
ATT = 1.82028639
ATT_SE = 0.685942087
ATT_TREATED_MEAN = 6.40495818  # mean re78 of the treated on support
ATT_CONTROLS_MEAN = 4.58467178  # mean of their matched outcome _re78
ATU = 1.603352
ATU_UNTREATED_MEAN = 4.52683013  # mean re78 of the untreated on support
ATU_MATCHED_MEAN = 6.13018214  # mean of their matched (treated) outcome
ATE = 1.69524782

# tab _treated _support
UNTREATED_OFF, UNTREATED_ON = 11, 249
TREATED_OFF, TREATED_ON = 2, 183
