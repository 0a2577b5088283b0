"""Composite indices: the entropy weight method and the service-agglomeration location quotient."""
