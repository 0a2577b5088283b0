"""The DID family on a city-year panel: the baseline (Table 4), the event study, heterogeneity, mediation with the Sobel tests, the placebo test."""
