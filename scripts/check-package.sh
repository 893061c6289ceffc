#!/usr/bin/env bash
# Cheap checks of the Debian packaging, without a release build (`cargo deb` makes the real
# package): every unit and the settings file in debian/ is an asset of
# [package.metadata.deb], the settings file is a conffile, the maintainer scripts are there and
# parse, and systemd-analyze (when installed) finds nothing to say about the units.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'EOF'
import glob, os, sys, tomllib

deb = tomllib.load(open("Cargo.toml", "rb"))["package"]["metadata"]["deb"]
assets = {a[0]: a[1] for a in deb["assets"]}
problems = []
if assets.get("target/release/kapok") != "usr/bin/":
    problems.append("the binary target/release/kapok is not installed to usr/bin/")
units = sorted(glob.glob("debian/*.service"))
if not units:
    problems.append("no unit files in debian/")
for unit in units:
    if assets.get(unit) != "usr/lib/systemd/system/":
        problems.append(f"{unit} is not an asset installed to usr/lib/systemd/system/")
    text = open(unit).read()
    for line in ["User=kapok", "Restart=always", "ExecStart=/usr/bin/kapok --config /etc/kapok/kapok.toml "]:
        if line not in text:
            problems.append(f"{unit} lacks {line.strip()!r}")
for src, dest in assets.items():
    if src.startswith("debian/") and not os.path.exists(src):
        problems.append(f"asset {src} does not exist")
if assets.get("debian/kapok.toml") != "etc/kapok/":
    problems.append("debian/kapok.toml is not installed to etc/kapok/")
if "/etc/kapok/kapok.toml" not in deb.get("conf-files", []):
    problems.append("/etc/kapok/kapok.toml is not listed in conf-files")
scripts = deb.get("maintainer-scripts", "").rstrip("/")
for name in ["postinst", "prerm", "postrm"]:
    path = f"{scripts}/{name}"
    if not os.access(path, os.X_OK):
        problems.append(f"{path} is missing or not executable")
try:
    tomllib.load(open("debian/kapok.toml", "rb"))
except Exception as e:
    problems.append(f"debian/kapok.toml: {e}")
for p in problems:
    print(f"check-package: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

for script in debian/scripts/*; do
  sh -n "$script"
done

if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart's program to exist: point the units at a stand-in.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  printf '#!/bin/sh\nexit 0\n' >"$tmp/kapok"
  chmod +x "$tmp/kapok"
  names=()
  for unit in debian/*.service; do
    name="$(basename "$unit")"
    sed "s|/usr/bin/kapok|$tmp/kapok|g" "$unit" >"$tmp/$name"
    names+=("./${name/@.service/@check.service}")  # a template is verified as an instance
  done
  # verify exits 0 on unknown keys and bad values, only printing them: any output fails.
  rc=0
  said="$(cd "$tmp" && systemd-analyze verify "${names[@]}" 2>&1)" || rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$said" ]; then
    echo "check-package: systemd-analyze verify:" >&2
    echo "$said" >&2
    exit 1
  fi
else
  echo "check-package: systemd-analyze not installed: unit files not verified"
fi
echo "check-package: ok ($(ls debian/*.service | wc -l) units, conffile /etc/kapok/kapok.toml)"
