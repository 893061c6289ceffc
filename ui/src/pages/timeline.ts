// The playlist editor's day timeline: a proportional 24-hour strip (inline SVG) with the
// hard-time markers, and the item list with its findings, each row a drop target.

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
const length = (secs: number) => (secs < 60 ? `${secs.toFixed(2)} s` : duration(secs * 1000));

const COLOURS: Record<string, string> = { programme: "#1f5fa8", live: "#7b1fa2", filler: "#9e9e9e", slate: "#333" };

/** The whole day as a strip: one rectangle per item, red where an item has an error, a mark per hard start. */
export function strip(p: s.Playlist, findings: s.Finding[], onPick: (i: number) => void): SVGElement {
  const len = 86400 * s.fps(p.rate);
  const w = 1000;
  const root = svg("svg", { viewBox: `0 0 ${w} 46`, class: "strip", role: "img", "aria-label": t("dayStrip") });
  const bad = new Set(findings.filter((f) => f.severity === "error" && f.item != null).map((f) => f.item));
  p.items.forEach((it, i) => {
    const x = (it.start / len) * w;
    // Programmes stay visible however short they are.
    const width = Math.max(it.kind === "programme" ? 2 : 0.5, (it.duration / len) * w);
    const r = svg("rect", { x, y: 8, width, height: 24, fill: bad.has(i) ? "#b3261e" : (COLOURS[it.kind] ?? "#555") });
    r.append(svg("title", {}, `${s.clockOf(p, it.start)} ${it.title}`));
    r.addEventListener("click", () => onPick(i));
    root.append(r);
    if (it.timing === "hard") root.append(svg("path", { d: `M${x} 0 L${x} 40`, stroke: "#e65100", "stroke-width": 2 }));
  });
  for (let hour = 0; hour <= 24; hour += 6) {
    const x = Math.min(w - 30, (hour / 24) * w);
    root.append(svg("text", { x, y: 45, "font-size": 9, fill: "#333" }, s.clockOf(p, hour * 3600 * s.fps(p.rate)).slice(0, 5)));
  }
  return root;
}

export interface RowActions {
  move(from: number, to: number): void;
  remove(i: number): void;
  trim(i: number, inPoint: number, duration: number): void;
  retime(i: number, hard: boolean): void;
  lock(i: number, locked: boolean): void;
  dropProgramme(before: number, data: string): void;
}

/** One item: start, hard-time marker, title, kind, duration, findings, and its edit buttons. */
function row(p: s.Playlist, it: s.Item, i: number, findings: s.Finding[], act: RowActions): HTMLElement {
  const rate = s.fps(p.rate);
  const secs = (f: number) => (f / rate).toFixed(2);
  const mine = findings.filter((f) => f.item === i);
  const trimForm = h(
    "form",
    { class: "trim", hidden: true },
    h("label", { for: `trim-in-${i}` }, t("inPoint")),
    h("input", { id: `trim-in-${i}`, type: "number", step: "0.04", min: "0", value: secs(it.in_point) }),
    h("label", { for: `trim-dur-${i}` }, t("durationSecs")),
    h("input", { id: `trim-dur-${i}`, type: "number", step: "0.04", min: "0.04", value: secs(it.duration) }),
    h("button", { type: "submit", class: "primary" }, t("apply")),
  );
  trimForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const val = (id: string) => Number((trimForm.querySelector(`#${id}`) as HTMLInputElement).value);
    act.trim(i, Math.round(val(`trim-in-${i}`) * rate), Math.round(val(`trim-dur-${i}`) * rate));
  });
  const btn = (label: string, cls: string, f: () => void, disabled = false) =>
    h("button", { type: "button", class: cls, onclick: f, disabled }, label);
  const li = h(
    "li",
    {
      class: `item ${it.kind}${it.timing === "hard" ? " hard" : ""}${mine.some((f) => f.severity === "error") ? " has-error" : ""}`,
      draggable: "true",
      "data-index": i,
    },
    h(
      "div",
      { class: "line" },
      h("span", { class: "start" }, s.clockOf(p, it.start)),
      it.timing === "hard" ? h("span", { class: "hard-mark", title: t("hardTime") }, `⏱ ${t("hardTime")}`) : null,
      it.locked ? h("span", { class: "lock-mark" }, `🔒 ${t("locked")}`) : null,
      h("span", { class: "title" }, it.title),
      h("span", { class: "meta" }, `${t(`kind_${it.kind}` as Parameters<typeof t>[0])} · ${length(it.duration / rate)}`),
    ),
    mine.length
      ? h(
          "ul",
          { class: "findings" },
          mine.map((f) => h("li", { class: f.severity, "data-code": f.code }, `${t(f.severity === "error" ? "findingError" : "findingWarning")}: ${f.message}`)),
        )
      : null,
    h(
      "div",
      { class: "actions" },
      btn("↑", "up", () => act.move(i, i - 1), i === 0),
      btn("↓", "down", () => act.move(i, i + 1), i === p.items.length - 1),
      btn(t("trim"), "trim-toggle", () => {
        trimForm.hidden = !trimForm.hidden;
      }),
      btn(it.timing === "hard" ? t("makeSoft") : t("makeHard"), "retime", () => act.retime(i, it.timing !== "hard")),
      btn(it.locked ? t("unlock") : t("lock"), "lock", () => act.lock(i, !it.locked)),
      btn(t("delete"), "delete danger", () => act.remove(i)),
    ),
    trimForm,
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
    if (prog) act.dropProgramme(i, prog);
    else if (from) act.move(Number(from), i);
  });
  return li;
}

/** The item list. */
export function itemList(p: s.Playlist, findings: s.Finding[], act: RowActions): HTMLElement {
  return h(
    "ol",
    { class: "timeline", "aria-label": t("timeline") },
    p.items.map((it, i) => row(p, it, i, findings, act)),
  );
}
