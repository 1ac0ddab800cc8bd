import sys

from bench.loadtest.run import main

sys.exit(main(sys.argv[1:]))
