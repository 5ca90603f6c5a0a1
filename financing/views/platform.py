"""The 政银企 platform's pages: financing demands, credit intentions, the project summary, the figures."""
