// The playlist editor's day timeline: a proportional 24-hour strip (inline SVG) with the
// hard-time markers and the "now" line, and the item list, virtualised (only the rows in
// view exist, so a day of 3,000 items opens and redraws at once), each row a drop target
// and a button selecting the item for the edit panel.

import { duration, h } from "../dom";
import { t } from "../i18n";
import * as s from "../schedule";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text) el.textContent = text;
  return el;
}

/** Seconds as "4.00 s" under a minute, H:MM:SS above. */
export const length = (secs: number) => (secs < 60 ? `${secs.toFixed(2)} s` : duration(secs * 1000));

const COLOURS: Record<string, string> = { programme: "#1f5fa8", live: "#7b1fa2", filler: "#9e9e9e", slate: "#333" };

/**
 * The whole day as a strip: a rectangle per run of items of one kind (red where an item has
 * an error), a mark per hard start, and the now line when the day is on air.
 */
export function strip(p: s.Playlist, findings: s.Finding[], onPick: (i: number) => void): SVGElement {
  const len = 86400 * s.fps(p.rate);
  const w = 1000;
  const root = svg("svg", { viewBox: `0 0 ${w} 46`, class: "strip", role: "img", "aria-label": t("dayStrip") });
  const bad = new Set(findings.filter((f) => f.severity === "error" && f.item != null).map((f) => f.item));
  const colour = (i: number, it: s.Item) => (bad.has(i) ? "#b3261e" : (COLOURS[it.kind] ?? "#555"));
  let i = 0;
  while (i < p.items.length) {
    const first = p.items[i] as s.Item;
    const c = colour(i, first);
    let j = i + 1;
    // Runs of one colour are one rectangle: a day of 3,000 short items stays a few hundred shapes.
    while (j < p.items.length && colour(j, p.items[j] as s.Item) === c && (p.items[j] as s.Item).timing !== "hard") j++;
    const last = p.items[j - 1] as s.Item;
    const x = (first.start / len) * w;
    const width = Math.max(first.kind === "programme" ? 2 : 0.5, ((last.start + last.duration - first.start) / len) * w);
    const r = svg("rect", { x, y: 8, width, height: 24, fill: c });
    r.append(svg("title", {}, `${s.clockOf(p, first.start)} ${first.title}${j - i > 1 ? ` … (${j - i})` : ""}`));
    const at = i;
    r.addEventListener("click", () => onPick(at));
    root.append(r);
    if (first.timing === "hard") root.append(svg("path", { d: `M${x} 0 L${x} 40`, stroke: "#e65100", "stroke-width": 2 }));
    i = j;
  }
  const now = s.framesOfInstant(p, new Date());
  if (now >= 0 && now < len) {
    const x = (now / len) * w;
    root.append(svg("path", { d: `M${x} 2 L${x} 36`, stroke: "#d50000", "stroke-width": 2, class: "now-line" }));
  }
  for (let hour = 0; hour <= 24; hour += 6) {
    const x = Math.min(w - 30, (hour / 24) * w);
    root.append(svg("text", { x, y: 45, "font-size": 9, fill: "#333" }, s.clockOf(p, hour * 3600 * s.fps(p.rate)).slice(0, 5)));
  }
  return root;
}

/** Height of one row in pixels (CSS `.vlist li.item` matches it). */
export const ROW = 34;
const OVERSCAN = 12;

export interface ListEvents {
  select(i: number): void;
  /** Something dropped before row `before`: a catalog programme (JSON) or a moved row's index. */
  drop(before: number, programme: string | null, fromRow: number | null): void;
}

/** The virtualised item list; `update` swaps the day without rebuilding the container. */
export class ItemList {
  readonly el: HTMLElement;
  private readonly inner: HTMLElement;
  private readonly rows: HTMLOListElement;
  private readonly nowLine: HTMLElement;
  private p: s.Playlist;
  private byItem = new Map<number, s.Finding[]>();
  private selected = -1;
  private drawn = "";

  constructor(
    p: s.Playlist,
    findings: s.Finding[],
    private readonly ev: ListEvents,
  ) {
    this.p = p;
    this.rows = h("ol", { class: "timeline", "aria-label": t("timeline") });
    this.nowLine = h("div", { class: "now-marker", "aria-hidden": "true" }, h("span", {}, t("nowLine")));
    this.inner = h("div", { class: "vlist-inner" }, this.rows, this.nowLine);
    this.el = h("div", { class: "vlist", id: "pl-list", tabindex: "0" }, this.inner);
    this.el.addEventListener("scroll", () => this.draw());
    this.setFindings(findings);
  }

  private setFindings(findings: s.Finding[]): void {
    this.byItem = new Map();
    for (const f of findings) {
      if (f.item == null) continue;
      const l = this.byItem.get(f.item) ?? [];
      l.push(f);
      this.byItem.set(f.item, l);
    }
  }

  /** Shows another version of the day (after an edit), keeping the scroll position. */
  update(p: s.Playlist, findings: s.Finding[]): void {
    this.p = p;
    this.setFindings(findings);
    this.drawn = "";
    this.draw();
  }

  select(i: number): void {
    this.selected = i;
    this.drawn = "";
    this.draw();
  }

  /** Scrolls row `i` into view (a little below the top). */
  scrollTo(i: number): void {
    this.el.scrollTop = Math.max(0, i * ROW - 3 * ROW);
    this.draw();
  }

  /** Draws the rows in view (and the now line); cheap when nothing changed. */
  draw(): void {
    const n = this.p.items.length;
    this.inner.style.height = `${n * ROW}px`;
    const view = this.el.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.el.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(n, Math.ceil((this.el.scrollTop + view) / ROW) + OVERSCAN);
    this.placeNow();
    const key = `${first}:${last}`;
    if (key === this.drawn) return;
    this.drawn = key;
    this.rows.style.transform = `translateY(${first * ROW}px)`;
    this.rows.setAttribute("start", String(first + 1));
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) out.push(this.row(i));
    this.rows.replaceChildren(...out);
  }

  /** The red line at the frame on air now, inside the row of the item on air. */
  placeNow(): void {
    const f = s.framesOfInstant(this.p, new Date());
    const i = s.itemAt(this.p, f);
    if (i < 0) {
      this.nowLine.hidden = true;
      return;
    }
    const it = this.p.items[i] as s.Item;
    this.nowLine.hidden = false;
    this.nowLine.dataset.index = String(i);
    this.nowLine.style.transform = `translateY(${Math.round(i * ROW + ((f - it.start) / it.duration) * ROW)}px)`;
  }

  /** The index of the item on air now, or -1. */
  nowIndex(): number {
    return s.itemAt(this.p, s.framesOfInstant(this.p, new Date()));
  }

  private row(i: number): HTMLElement {
    const p = this.p;
    const it = p.items[i] as s.Item;
    const mine = this.byItem.get(i) ?? [];
    const err = mine.some((f) => f.severity === "error");
    const warn = !err && mine.length > 0;
    const li = h(
      "li",
      {
        class: `item ${it.kind}${it.timing === "hard" ? " hard" : ""}${err ? " has-error" : ""}${warn ? " has-warning" : ""}${i === this.selected ? " selected" : ""}`,
        draggable: "true",
        "data-index": i,
        title: [s.phrase("why", it.reason, it.why), ...mine.map(s.findingText)].filter(Boolean).join("\n"),
      },
      h("span", { class: "start" }, s.clockOf(p, it.start)),
      it.timing === "hard" ? h("span", { class: "hard-mark", title: t("hardTime") }, "⏱") : null,
      it.locked ? h("span", { class: "lock-mark", title: t("locked") }, "🔒") : null,
      h(
        "button",
        { type: "button", class: "title pick", onclick: () => this.ev.select(i), "aria-pressed": i === this.selected ? "true" : "false" },
        it.title,
      ),
      h("span", { class: "meta" }, `${t(`kind_${it.kind}` as Parameters<typeof t>[0])} · ${length(it.duration / s.fps(p.rate))}`),
      h("span", { class: "why" }, s.phrase("why", it.reason, it.why ?? "")),
      mine.length ? h("span", { class: `badge ${err ? "error" : "warning"}`, "data-codes": mine.map((f) => f.code).join(" ") }, err ? "✖" : "⚠") : null,
    );
    li.addEventListener("dragstart", (e) => {
      e.dataTransfer?.setData("application/x-kapok-item", String(i));
      if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
    });
    li.addEventListener("dragover", (e) => {
      e.preventDefault();
      li.classList.add("drop-target");
    });
    li.addEventListener("dragleave", () => li.classList.remove("drop-target"));
    li.addEventListener("drop", (e) => {
      e.preventDefault();
      e.stopPropagation();
      li.classList.remove("drop-target");
      const from = e.dataTransfer?.getData("application/x-kapok-item");
      const prog = e.dataTransfer?.getData("application/x-kapok-programme");
      this.ev.drop(i, prog || null, from ? Number(from) : null);
    });
    return li;
  }
}
