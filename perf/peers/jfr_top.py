"""Where a JFR recording's CPU samples are: self time by method and inclusive time by LabelFlight method.

    python3 perf/peers/jfr_top.py RECORDING.jfr [--threads SUBSTRING] [--top 25]

Reads ``jfr print --json --events jdk.ExecutionSample`` (the JDK's own tool; no async-profiler needed). Record
the server with ``-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints
-XX:StartFlightRecording=filename=F.jfr,settings=profile`` (``perf/peers/bench.py --java-opt=...``).
"""
import argparse
import collections
import json
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--threads", default="", help="only samples of threads whose name contains this")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", args.recording],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(out)["recording"]["events"]
    self_time = collections.Counter()
    inclusive = collections.Counter()
    threads = collections.Counter()
    total = 0
    for e in events:
        v = e["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or "?"
        if args.threads and args.threads not in thread:
            continue
        frames = (v.get("stackTrace") or {}).get("frames") or []
        if not frames:
            continue
        total += 1
        threads[thread.rstrip("0123456789-")] += 1

        def name(f):
            m = f["method"]
            return f"{m['type']['name'].split('.')[-1]}.{m['name']}"
        self_time[name(frames[0])] += 1
        seen = set()
        for f in frames:
            n = name(f)
            if "labelflight" in f["method"]["type"]["name"] and n not in seen:
                seen.add(n)
                inclusive[n] += 1
    print(f"{total} samples")
    print("\n| thread (pool) | samples | share |\n| --- | ---: | ---: |")
    for t, n in threads.most_common(12):
        print(f"| {t} | {n} | {n / total:.1%} |")
    print("\n| self: method | samples | share |\n| --- | ---: | ---: |")
    for m, n in self_time.most_common(args.top):
        print(f"| {m} | {n} | {n / total:.1%} |")
    print("\n| inclusive: LabelFlight method | samples | share |\n| --- | ---: | ---: |")
    for m, n in inclusive.most_common(args.top):
        print(f"| {m} | {n} | {n / total:.1%} |")


if __name__ == "__main__":
    main()
