#!/usr/bin/env python3
"""Describes a built image the same way whichever engine built it, for the build conformance suite.

Usage: describe.py SAVE_TAR EXPORT_TAR BASE_TAR

- SAVE_TAR: `<engine> save <image>`: its image config gives the Config fields a Dockerfile sets
  and the history (created_by, and whether each step made a layer).
- EXPORT_TAR: `<engine> export` of a container created from the image (its merged file tree).
- BASE_TAR: the base image's root file system: entries identical to the base's are left out, so
  only what the Dockerfile changed is listed.

Times are left out (a COPY keeps the context's mtimes, which a checkout sets), and so are the
files every engine makes in a container for its own use (/etc/hosts and the like).

Two history texts differ between Docker's builder versions, and are compared without the part
that does: COPY/ADD name --chown/--chmod since BuildKit 0.10 (dockerd 20.10's does not), and the
HEALTHCHECK text has a start interval since Docker 25. berth writes the newer forms.
"""
import hashlib
import json
import re
import sys
import tarfile

CONFIG_KEYS = ["Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Labels", "ExposedPorts",
               "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild"]
# Mount points an engine adds to every container; not image content.
ENGINE_FILES = {"etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv", "dev", "proc", "sys",
                "etc/mtab", "run"}


def history_text(created_by):
    if re.match(r"(COPY|ADD) ", created_by):
        created_by = re.sub(r" --(chown|chmod)=\S+", "", created_by)
    m = re.match(r'(HEALTHCHECK &\{\[.*\](?: "[^"]*"){3})(?: "[^"]*")?( \'.*\'\})$', created_by)
    if m:
        created_by = m.group(1) + m.group(2)
    return created_by


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    name = name.lstrip("/").rstrip("/")
    return "" if name == "." else name


def entries(path):
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            name = norm(m.name)
            if not name or name.split("/")[0] in ENGINE_FILES or name in ENGINE_FILES:
                continue
            if m.isdir():
                desc = f"dir  {m.mode & 0o7777:04o} {m.uid}:{m.gid}"
            elif m.issym():
                desc = f"link {m.mode & 0o7777:04o} {m.uid}:{m.gid} -> {m.linkname}"
            elif m.islnk():
                desc = f"hard {m.mode & 0o7777:04o} {m.uid}:{m.gid} => {norm(m.linkname)}"
            elif m.isfile():
                data = t.extractfile(m).read()
                desc = f"file {m.mode & 0o7777:04o} {m.uid}:{m.gid} {len(data)} {hashlib.sha256(data).hexdigest()[:16]}"
            else:
                desc = f"dev  {m.mode & 0o7777:04o} {m.uid}:{m.gid} {m.type!r}"
            out[name] = desc
    return out


def main():
    save_tar, export_tar, base_tar = sys.argv[1:4]
    with tarfile.open(save_tar) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        image = json.load(t.extractfile(manifest[0]["Config"]))
    cfg = image.get("config") or {}
    for k in CONFIG_KEYS:
        v = cfg.get(k)
        if v in (None, "", [], {}):
            continue
        print(f"config.{k} {json.dumps(v, sort_keys=True)}")
    for h in image.get("history") or []:
        kind = "empty" if h.get("empty_layer") else "layer"
        text = history_text(h.get("created_by", "")).replace("\\", "\\\\").replace("\n", "\\n")
        print(f"history {kind} {text}")
    base = entries(base_tar)
    tree = entries(export_tar)
    for name, desc in sorted(tree.items()):
        if base.get(name) != desc:
            print(f"tree {desc} /{name}")
    for name in sorted(set(base) - set(tree)):
        print(f"tree gone /{name}")


if __name__ == "__main__":
    main()
