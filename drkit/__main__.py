"""``python -m drkit``: the ``drkit`` command where the console script is not on ``PATH``."""

import sys

from drkit.cli import main

sys.exit(main())
