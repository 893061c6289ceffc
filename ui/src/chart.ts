// Horizontal stacked bar charts as inline SVG (no chart library): one bar per row, one
// coloured segment per series, a legend, and a <title> per segment for its value.

const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#2e7d32", "#1f5fa8", "#8e24aa", "#e65100", "#00838f", "#c62828", "#6d4c41", "#f9a825", "#455a64", "#ad1457"];

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

export interface Row {
  label: string;
  values: Record<string, number>;
}

/** A stacked bar chart of `rows` over `series` (labels from `name`), values in `unit`. */
export function stackedBars(rows: Row[], series: string[], name: (s: string) => string, unit: string, label: string): SVGElement {
  const barH = 22;
  const left = 130;
  const width = 720;
  const legendH = 18 * Math.ceil(series.length / 4) + 8;
  const height = rows.length * (barH + 10) + 30 + legendH;
  const max = Math.max(1e-9, ...rows.map((r) => Object.values(r.values).reduce((a, b) => a + b, 0)));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
  rows.forEach((r, i) => {
    const y = 10 + i * (barH + 10);
    svg.append(el("text", { x: left - 6, y: y + barH * 0.7, "text-anchor": "end", "font-size": 12 }, r.label));
    let x = left;
    let sum = 0;
    series.forEach((s, j) => {
      const v = r.values[s] ?? 0;
      if (v <= 0) return;
      const w = (v / max) * (width - left - 70);
      const rect = el("rect", { x, y, width: w, height: barH, fill: PALETTE[j % PALETTE.length] ?? "#555", "data-series": s });
      rect.append(el("title", {}, `${r.label} · ${name(s)}: ${v.toFixed(2)} ${unit}`));
      svg.append(rect);
      x += w;
      sum += v;
    });
    svg.append(el("text", { x: x + 4, y: y + barH * 0.7, "font-size": 12 }, `${sum.toFixed(1)} ${unit}`));
  });
  const ly = height - legendH + 4;
  series.forEach((s, j) => {
    const x = 10 + (j % 4) * 175;
    const y = ly + Math.floor(j / 4) * 18;
    svg.append(el("rect", { x, y, width: 12, height: 12, fill: PALETTE[j % PALETTE.length] ?? "#555" }));
    svg.append(el("text", { x: x + 16, y: y + 10, "font-size": 12 }, name(s)));
  });
  return svg;
}
