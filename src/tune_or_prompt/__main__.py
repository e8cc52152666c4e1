import sys

from tune_or_prompt.cli import main

sys.exit(main())
