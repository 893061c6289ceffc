// Schedules, reports and channel administration over the API (docs/schedules.md).

import { ApiError, request, type Channel } from "./api";
import { categoryName, lang } from "./i18n";
import { enPhrases, zhPhrases } from "./i18n-schedule";

/** A server sentence as a stable code and its parameters (the English stays beside it). */
export interface Phrase {
  code: string;
  params?: Record<string, string>;
}

const fill = (text: string, params: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? "");

/**
 * Words a server phrase of `kind` (`change`, `why`, `finding`) in the current language; the
 * server's English `fallback` when the code is unknown (a newer server) or there is none.
 */
export function phrase(kind: string, p: Phrase | null | undefined, fallback = ""): string {
  if (!p) return fallback;
  const table = lang() === "en" ? enPhrases : zhPhrases;
  const base = table[`${kind}.${p.code}`];
  if (base == null) return fallback;
  const params: Record<string, string> = { ...(p.params ?? {}) };
  // `does_not_fit` without `before` is the day's end.
  if (kind === "error" && p.code === "does_not_fit") params.before ??= table["phrase.day_end"] ?? "";
  if (params.relaxed) params.relaxed = table[`relax.${params.relaxed}`] ?? params.relaxed;
  if (params.category) params.category = categoryName(params.category);
  if (params.categories != null) {
    const names = params.categories.split(",").filter((c) => c).map(categoryName);
    params.categories = names.length ? names.join(lang() === "en" ? ", " : "、") : (table["phrase.none"] ?? "");
  }
  let text = fill(base, params);
  // Optional parts: `code+param` when the parameter is there, `code-param` when it is not.
  for (const key of Object.keys(table)) {
    const m = /^(\w+)\.(\w+)([+-])(\w+)$/.exec(key);
    if (!m || m[1] !== kind || m[2] !== p.code) continue;
    const has = params[m[4] as string] != null;
    if ((m[3] === "+") === has) text += fill(table[key] as string, params);
  }
  return text;
}

/**
 * A refused edit, insert, move, lock, undo, copy or publish in words: the error's `code`
 * and `params` as a sentence, or the code's general word (the server's English message stays
 * the error's detail).
 */
export function refusalText(e: unknown, general: (e: unknown) => string): string {
  if (!(e instanceof ApiError)) return general(e);
  const body = e.body as { error?: { params?: Record<string, string> } } | undefined;
  return phrase("error", { code: e.code, params: body?.error?.params ?? {} }, general(e));
}

/** A rule the generator broke, in words: which rule, how often, and why. */
export function ruleBreakText(x: RuleBreak): string {
  const rule = phrase("rule", { code: x.rule }, x.rule);
  return `${x.block}${lang() === "en" ? ": " : "："}${rule} ×${x.count} — ${phrase("break", x.reason_phrase, x.reason)}`;
}

/** A finding in words: its phrase, or the server's English message. */
export const findingText = (f: Finding): string => phrase("finding", f, f.message);

export interface Rate {
  num: number;
  den: number;
}

export interface Item {
  start: number;
  duration: number;
  timing: "hard" | "soft";
  source: { type: "programme"; id: string } | { type: "live"; uri: string } | { type: "slate" };
  in_point: number;
  title: string;
  kind: "programme" | "live" | "filler" | "slate";
  category: string;
  locked: boolean;
  why?: string;
  reason?: Phrase;
}

export interface Playlist {
  channel: string;
  date: string;
  rate: Rate;
  day_start: string;
  utc_offset_secs: number;
  items: Item[];
}

export interface Finding {
  severity: "error" | "warning";
  code: string;
  message: string;
  item: number | null;
  params?: Record<string, string>;
}

export interface Day {
  version: number;
  change: string;
  change_phrase?: Phrase;
  playlist: Playlist;
  findings: Finding[];
  published_version?: number | null;
  created_by?: string;
  created_at?: string;
}

export interface VersionInfo {
  version: number;
  parent: number | null;
  change: string;
  change_phrase?: Phrase;
  created_by: string;
  created_at: string;
  items: number;
  published: number[];
}

export type EditOp =
  | { op: "insert"; index: number; item: Item }
  | { op: "move"; from: number; to: number }
  | { op: "delete"; index: number }
  | { op: "trim"; index: number; in_point: number; duration: number }
  | { op: "retime"; index: number; start: number; hard: boolean }
  | { op: "lock"; index: number; locked: boolean }
  | { op: "insert_at"; at: number; item: Item }
  | { op: "fit_day" };

const base = (id: string, date: string) => `/api/channels/${encodeURIComponent(id)}/days/${encodeURIComponent(date)}`;
const json = (v: unknown) => JSON.stringify(v);
const JSON_TYPE = "application/json";

/** The day's latest version, compact: no English `why` beside a reason phrase (the page words the phrase). */
export const day = (id: string, date: string): Promise<Day> => request("GET", `${base(id, date)}?compact=true`);
export const edit = (id: string, date: string, version: number, op: EditOp): Promise<Day> =>
  request("POST", `${base(id, date)}/edits`, json({ version, op }), JSON_TYPE);

/** An edit's answer with only the items that changed: `items[from..from + removed]` become `items`. */
export interface RangeAnswer {
  version: number;
  change: string;
  change_phrase?: Phrase;
  range: { from: number; removed: number; items: Item[]; length: number };
  findings: Finding[];
}
export const editRange = (id: string, date: string, version: number, op: EditOp): Promise<RangeAnswer> =>
  request("POST", `${base(id, date)}/edits`, json({ version, op, answer: "range" }), JSON_TYPE);

/** `day` with an edit's range applied (a new day object sharing the unchanged items). */
export function applyRange(d: Day, r: RangeAnswer): Day {
  const items = d.playlist.items.slice();
  items.splice(r.range.from, r.range.removed, ...r.range.items);
  if (items.length !== r.range.length) throw new Error(`range answer: ${items.length} items, expected ${r.range.length}`);
  return { ...d, version: r.version, change: r.change, change_phrase: r.change_phrase, findings: r.findings, playlist: { ...d.playlist, items } };
}
export const undo = (id: string, date: string, version: number): Promise<Day> =>
  request("POST", `${base(id, date)}/undo`, json({ version }), JSON_TYPE);
export const generate = (id: string, date: string, seed: number): Promise<Day> =>
  request("POST", `${base(id, date)}/generate`, json({ seed }), JSON_TYPE);
/** An empty day to fill by hand: an import of a CSV with no rows. */
export const emptyDay = (id: string, date: string): Promise<Day> =>
  request("POST", `${base(id, date)}/import`, "start,programme,duration\n", "text/csv");
export const publish = (id: string, date: string, version: number): Promise<{ published_version: number }> =>
  request("POST", `${base(id, date)}/publish`, json({ version }), JSON_TYPE);
export const copyDay = (id: string, date: string, to: string[]): Promise<Array<{ date: string; version: number; errors: number }>> =>
  request("POST", `${base(id, date)}/copy`, json({ to }), JSON_TYPE);
/** A day of the week view. */
export interface DaySummary {
  date: string;
  state: "empty" | "draft" | "published" | "changed";
  version: number | null;
  published_version: number | null;
  items: number;
  filled_secs: number;
  day_secs: number;
  errors: number;
  warnings: number;
  gaps: number;
}
export const week = (id: string): Promise<DaySummary[]> => request("GET", `/api/channels/${encodeURIComponent(id)}/week`);
export const versions = (id: string, date: string): Promise<{ versions: VersionInfo[] }> =>
  request("GET", `${base(id, date)}/versions?playlists=false`);

/** A rule the generator could not keep. */
export interface RuleBreak {
  rule: string;
  block: string;
  at: number;
  count: number;
  reason: string;
  /** `reason` as a code and parameters (worded by `ruleBreakText`). */
  reason_phrase?: Phrase;
}

/** One thing wrong with a template. */
export interface Problem {
  code: string;
  message: string;
  location: string;
  params?: Record<string, string>;
}

/**
 * A template problem in words: where (`week.default.blocks[2]` as the form's block 3, a
 * quota, the fillers) and what, from its code and values (the server's English when the code
 * is unknown).
 */
export function problemText(p: Problem): string {
  const table = lang() === "en" ? enPhrases : zhPhrases;
  const block = /blocks\[(\d+)\]/.exec(p.location);
  const quota = /^quotas\[(\d+)\]/.exec(p.location);
  const where = block
    ? fill(table["where.block"] ?? "", { n: String(Number(block[1]) + 1) })
    : quota
      ? fill(table["where.quota"] ?? "", { n: String(Number(quota[1]) + 1) })
      : p.location === "fillers"
        ? (table["where.fillers"] ?? p.location)
        : p.location;
  const what = phrase("problem", p, p.message);
  return where ? `${where}${lang() === "en" ? ": " : "："}${what}` : what;
}

const tpl = (id: string) => `/api/channels/${encodeURIComponent(id)}/template`;
export const template = (id: string): Promise<{ version: number; template: Record<string, unknown> }> => request("GET", tpl(id));
export const putTemplate = (id: string, t: unknown): Promise<{ version: number }> => request("PUT", tpl(id), json(t), JSON_TYPE);
export const previewTemplate = (
  id: string,
  t: unknown,
  date: string,
  seed: number,
): Promise<{ playlist: Playlist; findings: Finding[]; exceptions: RuleBreak[] }> =>
  request("POST", `${tpl(id)}/preview`, json({ template: t, date, seed }), JSON_TYPE);

export interface Relay {
  name: string;
  uri: string;
}
export const relays = (centre: string): Promise<Relay[]> => request("GET", `/api/centres/${encodeURIComponent(centre)}/relays`);

/** The frame offset in the day of instant `at` (may be negative or past the day). */
export function framesOfInstant(p: Playlist, at: Date): number {
  const [hh, mm, ss] = p.day_start.split(":").map((x) => parseFloat(x));
  const startUtc = Date.parse(`${p.date}T00:00:00Z`) + ((hh ?? 0) * 3600 + (mm ?? 0) * 60 + (ss ?? 0) - p.utc_offset_secs) * 1000;
  return Math.floor(((at.getTime() - startUtc) / 1000) * fps(p.rate));
}

/** Index of the item on air at frame `f` (items are in start order), or -1. */
export function itemAt(p: Playlist, f: number): number {
  let lo = 0;
  let hi = p.items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const it = p.items[mid] as Item;
    if (f < it.start) hi = mid - 1;
    else if (f >= it.start + it.duration) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export interface GuideEntry {
  title: string;
  category: string;
  kind: string;
  start: string;
  stop: string;
}

export const nowNext = (id: string): Promise<{ now: GuideEntry | null; next: GuideEntry | null }> =>
  request("GET", `/api/channels/${encodeURIComponent(id)}/now-next`);

export interface AsRun {
  id: number;
  item_id: string | null;
  title: string | null;
  source: string | null;
  scheduled_start: string | null;
  actual_start: string;
  duration_ms: number;
  outcome: string;
  reason: string | null;
}

export function asRun(id: string, from: Date, until: Date): Promise<{ fallbacks: number; entries: AsRun[] }> {
  const p = new URLSearchParams({ from: from.toISOString(), until: until.toISOString() });
  return request("GET", `/api/channels/${encodeURIComponent(id)}/as-run?${p}`);
}

export interface CentreAirtime {
  centre: string;
  categories: Record<string, number>;
  total_hours: number;
  agricultural_hours: number;
  local_hours: number;
}

export function airtime(from: Date, until: Date, centre: string): Promise<{ centres: CentreAirtime[] }> {
  const p = new URLSearchParams({ from: from.toISOString(), until: until.toISOString() });
  if (centre) p.set("centre", centre);
  return request("GET", `/api/reports/airtime?${p}`);
}

export interface ChannelFull extends Channel {
  time_zone: string;
  retired_at: string | null;
  format: Record<string, unknown>;
}

export const allChannels = (retired: boolean): Promise<ChannelFull[]> =>
  request("GET", `/api/channels${retired ? "?retired=true" : ""}`);
export const createChannel = (body: unknown): Promise<ChannelFull> => request("POST", "/api/channels", json(body), JSON_TYPE);
export const updateChannel = (id: string, body: unknown): Promise<ChannelFull> =>
  request("PATCH", `/api/channels/${encodeURIComponent(id)}`, json(body), JSON_TYPE);

/** Frames per second of a rate. */
export const fps = (r: Rate): number => r.num / r.den;

/** "HH:MM:SS" of a frame offset from the day start `day_start` ("06:00:00"). */
export function clockOf(p: Playlist, frames: number): string {
  const [hh, mm, ss] = p.day_start.split(":").map((x) => parseFloat(x));
  const s = Math.floor((hh ?? 0) * 3600 + (mm ?? 0) * 60 + (ss ?? 0) + frames / fps(p.rate));
  const d = ((s % 86400) + 86400) % 86400;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(d / 3600))}:${two(Math.floor((d % 3600) / 60))}:${two(d % 60)}`;
}

/** The frame offset of wall-clock "HH:MM[:SS]" in the day (times before the day start are the next morning). */
export function framesAt(p: Playlist, clock: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(clock.trim());
  if (!m) return null;
  const [hh, mm, ss] = p.day_start.split(":").map((x) => parseFloat(x));
  const start = (hh ?? 0) * 3600 + (mm ?? 0) * 60 + (ss ?? 0);
  let s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0) - start;
  if (s < 0) s += 86400;
  return Math.round(s * fps(p.rate));
}

/** The broadcast day (YYYY-MM-DD) on air at `at` for a channel at UTC+8 starting at `dayStart`. */
export function broadcastDay(at: Date, dayStart: string, offsetSecs = 8 * 3600): string {
  const [hh, mm] = dayStart.split(":").map((x) => parseInt(x, 10));
  const local = new Date(at.getTime() + offsetSecs * 1000 - ((hh ?? 0) * 3600 + (mm ?? 0) * 60) * 1000);
  return local.toISOString().slice(0, 10);
}

/** The calendar day (YYYY-MM-DD) in UTC+8 of an instant, whatever the browser's own time zone. */
export function localDay(at: Date, offsetSecs = 8 * 3600): string {
  return new Date(at.getTime() + offsetSecs * 1000).toISOString().slice(0, 10);
}

/** "HH:MM:SS" in UTC+8 of an instant. */
export function localClock(at: Date, offsetSecs = 8 * 3600): string {
  return new Date(at.getTime() + offsetSecs * 1000).toISOString().slice(11, 19);
}
