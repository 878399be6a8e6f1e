#!/usr/bin/python3
"""A test that cannot run here: print why and exit 77 (ctest's SKIP_RETURN_CODE).

usage: skip.py REASON..."""
import sys

print("skipped: " + " ".join(sys.argv[1:]))
sys.exit(77)
