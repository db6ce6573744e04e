"""What a process on the same host can do to a LabelFlight node's Hazelcast with the stock client.

Usage: outsider_client.py HOST:PORT [--semaphore NAME] CLUSTER_NAME [CLUSTER_NAME ...]

For every cluster name, connects the way an outsider would (hazelcast-python-client, default settings,
a short connect timeout) and, if it gets in, tries to read and change what LabelFlight keeps there: the
directory maps, the cluster map (where a node credential used to be), the memory-budget semaphores
named with --semaphore (CP objects are not listed).
Prints one JSON object per name on its own line:
{"name", "connected", "error"?, "objects"?, "read"?, "wrote"?, "budget"?}. The Java test decides what
is acceptable (nothing at all); this script only reports. The attempts run in parallel to stay fast.
"""
import json
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

import hazelcast

MAPS = ["labelflight.nodes", "labelflight.datasets", "labelflight.cluster"]


def attempt(address, name, semaphores):
    out = {"name": name, "connected": False}
    try:
        client = hazelcast.HazelcastClient(cluster_members=[address], cluster_name=name,
                                           cluster_connect_timeout=2.0)
    except Exception as e:  # refused: what we want
        out["error"] = type(e).__name__ + ": " + str(e)[:200]
        return out
    out["connected"] = True
    try:
        out["objects"] = sorted(o.name for o in client.get_distributed_objects())
        read = {}
        for m in set(MAPS) | {o for o in out["objects"] if o.startswith("labelflight.")}:
            try:
                entries = client.get_map(m).blocking().entry_set()
                read[m] = {str(k): str(v)[:200] for k, v in entries}
            except Exception as e:
                read[m] = "error: " + str(e)[:100]
        out["read"] = read
        try:
            client.get_map("labelflight.datasets").blocking().put("intruder~x", "intruder")
            out["wrote"] = True
        except Exception as e:
            out["wrote"] = "error: " + str(e)[:100]
        for b in semaphores:
            try:
                sem = client.cp_subsystem.get_semaphore(b).blocking()
                out["budget"] = {"name": b, "available": sem.available_permits(),
                                 "drained": sem.drain_permits()}
                sem.release(out["budget"]["drained"])
            except Exception as e:
                out["budget"] = "error: " + str(e)[:100]
    finally:
        client.shutdown()
    return out


def main():
    logging.basicConfig(level=logging.CRITICAL)
    address, args = sys.argv[1], sys.argv[2:]
    semaphores = []
    while args[:1] == ["--semaphore"]:
        semaphores.append(args[1])
        args = args[2:]
    with ThreadPoolExecutor(len(args)) as pool:
        for result in pool.map(lambda n: attempt(address, n, semaphores), args):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
