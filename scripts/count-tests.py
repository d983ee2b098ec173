#!/usr/bin/env python3
"""Count test cases in a meson testlog.json: cmocka's own totals for each test program, or one
case per program that printed none (a crash, a plain test).  Prints "N passed, N failed"."""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        test = json.loads(line)
        out = test.get("stdout", "") + test.get("stderr", "")
        ok = test["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
        p = re.findall(r"^\[  PASSED  \] (\d+) test", out, re.M)
        f = re.findall(r"^\[  FAILED  \] (\d+) test", out, re.M)
        s = re.findall(r"^\[  SKIPPED \] (\d+) test", out, re.M)
        if p or f:
            passed += sum(map(int, p))
            failed += sum(map(int, f))
            skipped += sum(map(int, s))
            if not ok and not f:
                failed += 1  # crashed or timed out after its summary
        elif test["result"] == "SKIP":
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
