#!/usr/bin/python3
"""The table printed by `shuibao scenario reference` must appear verbatim in scenarios/README.md
between the markers <!-- reference:begin --> and <!-- reference:end -->."""
import os
import subprocess
import sys

exe, readme = sys.argv[1], sys.argv[2]
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
printed = subprocess.run([exe, "scenario", "reference"], capture_output=True, text=True, env=env, check=True).stdout.strip()
text = open(readme, encoding="utf-8").read()
try:
    body = text.split("<!-- reference:begin -->", 1)[1].split("<!-- reference:end -->", 1)[0].strip()
except IndexError:
    print("FAIL: markers not found in", readme)
    print("0 passed, 1 failed")
    sys.exit(1)
ok = body == printed
print("ok   scenarios/README.md matches `shuibao scenario reference`" if ok else
      "FAIL scenarios/README.md differs from `shuibao scenario reference`; regenerate the table")
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
