"""``python -m riskcast``: the same command line as the ``riskcast`` console script."""

import sys

from .cli import main

sys.exit(main())
