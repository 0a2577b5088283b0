"""The policy-text keyword analysis (jieba for Chinese)."""
