"""One large apply on clusters of 1, 2 and 3 nodes (separate JVMs, loopback Hazelcast), timed.

Node 1 owns the dataset (the demo generator seeds it there); the other nodes borrow chunk tasks and
fetch the chunks they run over Flight. Each timed run uses LFs no run used before (a run-specific
keyword/pattern/constant), so nothing comes from the label cache; the first run on a cluster size
also fills the other nodes' chunk copies and is reported apart. Prints a table of medians.
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(sys.argv[1], "clients", "python", "src"))
import labelflight  # noqa: E402

ROOT, ROWS, RUNS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, os.path.join(ROOT, "perf"))
import memory_contract  # noqa: E402  (peak RSS against the memory contract, shared by the perf harnesses)
HEAP_MIB, BUDGET_MIB = 2048, 1536
JAR = os.path.join(ROOT, "server", "target", "labelflight-server.jar")
TOKEN = "cluster-bench-token"  # the dev user's, who owns the seeded demo dataset
SECRET = os.urandom(24).hex()  # the cluster's secret


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, work, cluster, hz_ports, index, demo):
    data = os.path.join(work, name)
    os.makedirs(data, exist_ok=True)
    flight, http = free_port(), free_port()
    env = dict(os.environ,
               LABELFLIGHT_DATADIR=data, LABELFLIGHT_FLIGHT_PORT=str(flight), LABELFLIGHT_HTTP_PORT=str(http),
               LABELFLIGHT_DEMO_ENABLED="true" if demo else "false", LABELFLIGHT_DEMO_ROWS=str(ROWS),
               LABELFLIGHT_CLUSTER_ENABLED="true", LABELFLIGHT_CLUSTER_NAME=cluster,
               LABELFLIGHT_CLUSTER_PORT=str(hz_ports[index]),
               LABELFLIGHT_CLUSTER_MEMBERS=",".join(f"127.0.0.1:{p}" for p in hz_ports),
               LABELFLIGHT_RESIDENT_ENABLED="false",
               LABELFLIGHT_AUTH_DEVUSER_ENABLED="true", LABELFLIGHT_AUTH_DEVUSER_TOKEN=TOKEN,
               # Every node of a cluster holds the same secret (one per run).
               LABELFLIGHT_CLUSTER_SECRET=SECRET)
    flags, budget_env = memory_contract.server_flags(HEAP_MIB, BUDGET_MIB)
    env.update(budget_env)
    log = open(os.path.join(work, name + ".log"), "ab")
    proc = subprocess.Popen(["java", *flags, "--add-opens=java.base/java.nio=ALL-UNNAMED",
                             "-Dhazelcast.local.localAddress=127.0.0.1", "-jar", JAR],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    return {"proc": proc, "flight": flight, "http": http, "name": name}


def health(node):
    # /health has its details (members, node id) for a user only.
    request = urllib.request.Request(f"http://127.0.0.1:{node['http']}/health",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.load(r)


def await_members(nodes, n):
    deadline = time.time() + 300
    for node in nodes:
        while True:
            try:
                if health(node)["cluster"]["members"] == n:
                    break
            except OSError:
                pass
            if node["proc"].poll() is not None or time.time() > deadline:
                raise SystemExit(f"node {node['name']} did not join a cluster of {n}")
            time.sleep(0.2)


def lfs(nonce):
    return [
        {"name": "kw", "kind": "keyword", "column": "text", "keywords": ["free money", "winner", "refund", nonce], "label": "SPAM"},
        {"name": "re", "kind": "regex", "column": "text", "pattern": f"https?://\\S+|{nonce}", "label": "SPAM"},
        {"name": "low", "kind": "numeric", "column": "stars", "op": "<", "value": 2.0 + 1e-9 * len(nonce), "label": "SPAM"},
        {"name": "ex", "kind": "expression", "expr": f"stars >= 4 && length < 200 && text != '{nonce}'", "label": "HAM"},
    ]


def run(client, nonce):
    start = time.perf_counter()
    job = client.apply("reviews", lfs(nonce), labels=["HAM", "SPAM"], mode="queue", wait=False)
    status = job.wait(timeout=1800)
    elapsed = time.perf_counter() - start
    if status["state"] != "SUCCEEDED":
        raise SystemExit(f"job failed: {status}")
    return elapsed, status["chunksByNode"]


def main():
    work = tempfile.mkdtemp(prefix="lf-cluster-bench-")
    print(f"# {ROWS} rows, {RUNS} timed runs per cluster size, {os.cpu_count()} cores; work dir {work}")
    print("| nodes | first run (s, fills copies) | median (s) | rows/s (median) | chunks per node (last run) |")
    print("|---|---|---|---|---|")
    all_memories = []
    try:
        for n in (1, 2, 3):
            cluster = f"lf-bench-{os.getpid()}-{n}"
            hz_ports = [free_port() for _ in range(n)]
            nodes = [start(f"node{i + 1}", work, cluster, hz_ports, i, demo=(i == 0)) for i in range(n)]
            memories = []
            try:
                await_members(nodes, n)
                memories = [memory_contract.ServerMemory.of(f"{n} nodes: {node['name']}", node["proc"].pid,
                                                            node["http"], TOKEN) for node in nodes]
                with labelflight.connect(f"grpc://127.0.0.1:{nodes[1 % n]['flight']}", token=TOKEN) as client:
                    first, _ = run(client, f"zzfirst{n}")
                    times, by_node = [], None
                    for r in range(RUNS):
                        t, by_node = run(client, f"zzrun{n}x{r}")
                        times.append(t)
                med = statistics.median(times)
                print(f"| {n} | {first:.2f} | {med:.2f} | {ROWS / med:,.0f} | {sorted(by_node.values(), reverse=True)} |",
                      flush=True)
            finally:
                for m in memories:
                    m.measure()
                all_memories.extend(memories)
                for node in nodes:
                    node["proc"].terminate()
                for node in nodes:
                    node["proc"].wait(timeout=120)
                # node1 keeps its data (the seeded dataset) for the next size; the others start empty.
                for i in range(1, n):
                    shutil.rmtree(os.path.join(work, f"node{i + 1}"), ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(memory_contract.summarize(all_memories))


main()
