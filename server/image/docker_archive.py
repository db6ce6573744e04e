"""Writes layer directories as a docker-archive image tarball (the format of `docker save`).

Usage: docker_archive.py LAYERS_DIR OUTPUT.tar REPO:TAG
LAYERS_DIR holds one sub-directory per layer, applied in the order base, jre, app. Files get fixed
owners and times so that the same inputs give the same image.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

ORDER = ["base", "jre", "app"]
EPOCH = 0


def layer_tar(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                path = os.path.join(dirpath, name)
                info = tar.gettarinfo(path, arcname=os.path.relpath(path, root))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = EPOCH
                if info.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def main(layers_dir, output, tag):
    layers = []
    for name in ORDER:
        data = layer_tar(os.path.join(layers_dir, name))
        layers.append((hashlib.sha256(data).hexdigest(), data))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            # Memory: heap a quarter of the container's limit, and (no -XX:MaxDirectMemorySize) the JVM's
            # direct-memory limit the same; the server derives its budget as that limit minus 64 MiB (or less if the
            # container leaves less), so RSS <= heap + budget + 256 MiB stays under about half the limit + 256 MiB.
            # With LABELFLIGHT_MEMORY_BUDGETMIB=N also set JAVA_TOOL_OPTIONS=-XX:MaxDirectMemorySize=<N+64>m (the
            # server clamps the budget to the direct limit otherwise). Metaspace and code cache are bounded too.
            "Entrypoint": ["/opt/java/bin/java", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                           "-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=25",
                           "-XX:MaxMetaspaceSize=256m", "-XX:ReservedCodeCacheSize=128m",
                           "-jar", "/app/labelflight-server.jar"],
            "WorkingDir": "/app",
            "Env": ["PATH=/opt/java/bin:/usr/bin:/bin", "LABELFLIGHT_DATADIR=/data",
                    "LABELFLIGHT_FLIGHT_HOST=0.0.0.0", "LABELFLIGHT_HTTP_HOST=0.0.0.0",
                    "LABELFLIGHT_DEMO_ENABLED=false"],
            "ExposedPorts": {"8815/tcp": {}, "8080/tcp": {}, "5701/tcp": {}},
            "Volumes": {"/data": {}},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d, _ in layers]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "server/image/build.sh: " + n} for n in ORDER],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": [d + "/layer.tar" for d, _ in layers]}]
    with tarfile.open(output, "w") as out:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = EPOCH
            out.addfile(info, io.BytesIO(data))
        for digest, data in layers:
            add(digest + "/layer.tar", data)
        add(config_name, config_bytes)
        add("manifest.json", json.dumps(manifest).encode())


if __name__ == "__main__":
    main(*sys.argv[1:4])
