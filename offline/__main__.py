import os
import sys

from .cli import main

code = main()
# The Pulumi SDK leaves event loops in its executor threads; tearing them down at interpreter
# exit can print "Exception ignored in BaseEventLoop.__del__" noise after a clean run. Everything
# is written by now, so flush and leave without that teardown.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
