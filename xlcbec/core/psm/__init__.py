"""PSM-DID with psmatch2/pstest semantics: the propensity score, matching, balance, score densities, the bootstrap."""
