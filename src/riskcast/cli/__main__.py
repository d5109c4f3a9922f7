"""``python -m riskcast.cli``: the same as the ``riskcast`` console script."""

import sys

from . import main

sys.exit(main())
