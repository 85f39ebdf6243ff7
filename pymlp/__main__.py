import sys

from pymlp.cli import main

sys.exit(main())
