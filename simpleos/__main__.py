"""`python -m simpleos` is the same as the `simpleos` command."""
import sys

from .cli import main

sys.exit(main())
