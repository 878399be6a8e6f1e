"""The pass/fail tally of the command-level fault tests (disk_full.py, signal_test.py,
concurrent_output.py): check(ok, what) prints one line per check; finish() prints the totals and
exits 1 if any failed."""
import sys

_counts = {"checks": 0, "fails": 0}


def check(ok, what):
    _counts["checks"] += 1
    _counts["fails"] += 0 if ok else 1
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def finish():
    print(f"{_counts['checks'] - _counts['fails']} passed, {_counts['fails']} failed")
    sys.exit(1 if _counts["fails"] else 0)
