"""The peer of `npm run bench`: the same request body, read with json.loads, then scipy's
mannwhitneyu and ks_2samp on canary vs baseline. Prints the timings (ms) as one JSON line.
Usage: python3 bench/scipy_peer.py request.json [repeats]"""
import json, sys, time
from scipy.stats import mannwhitneyu, ks_2samp

path = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
text = open(path).read()
best = None
for _ in range(repeats):
    t0 = time.perf_counter()
    body = json.loads(text)
    metric = body["metrics"][0]
    t1 = time.perf_counter()
    mannwhitneyu(metric["canary"]["values"], metric["baseline"]["values"])
    ks_2samp(metric["canary"]["values"], metric["baseline"]["values"])
    t2 = time.perf_counter()
    run = {"parse": (t1 - t0) * 1e3, "tests": (t2 - t1) * 1e3, "total": (t2 - t0) * 1e3}
    best = run if best is None or run["total"] < best["total"] else best
print(json.dumps(best))
