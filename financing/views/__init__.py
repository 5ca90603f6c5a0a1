"""The financing pages: the ledger (ledger.py: loans, their entries, funding lines, a bank's loans) and the
政银企 platform (platform.py: financing demands, credit intentions, the project summary, the figures)."""
