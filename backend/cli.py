"""`python -m backend.cli COMMAND ...`: the command line, kept at this address for scripts and
deployments; it lives in `backend/tools/cli.py`."""

import sys

from backend.tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
