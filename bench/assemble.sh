#!/usr/bin/env bash
# Rebuilds BENCHMARKS.md from the per-area figure files bench/<area>.md (each written by its
# own benchmark script's author, with the command that measures it). Headings of each file
# move down one level; fenced code is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import pathlib
areas = ["playout", "ingest", "schedules", "emergency", "media", "web", "alert", "alert-store"]
out = ["# Kapok benchmarks", "",
       "Every figure below was measured on the project's 2-core, 24 GiB Debian 12 machine, with",
       "the command given beside it. Absolute times on a shared machine are noisy; where an issue",
       "names a reference (ffmpeg, a trivial handler), the ratio from the same run is what counts.",
       "Each section is kept in bench/<area>.md and assembled here by bench/assemble.sh."]
for area in areas:
    p = pathlib.Path(f"bench/{area}.md")
    if not p.exists():
        continue
    out.append("")
    fenced = False
    for line in p.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" + line
        out.append(line)
pathlib.Path("BENCHMARKS.md").write_text("\n".join(out) + "\n")
print(f"BENCHMARKS.md: {len(out)} lines")
PY
