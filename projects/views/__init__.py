"""Projects' pages: the register (project.py) and the monthly dispatch (progress.py)."""
