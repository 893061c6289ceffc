// What the server says, in the reader's words: API error codes, job states, as-run outcomes
// and the engine's notes, QC findings, audit actions and actors, frames as time codes, and
// which actions a role may take (the mirror of web/src/auth/policy.rs, so the UI hides what
// the server would refuse). The server's own English text is kept as a folded detail.

import { ApiError, type Principal } from "./api";
import { h } from "./dom";
import { lang, t, word } from "./i18n";
import { localClock, localDay } from "./schedule";

/** An instant as the pages show it: day and time to the second in UTC+8 (the network's
 * time, whatever the browser's own zone), `—` when there is none. */
export const stamp = (s: string | null | undefined): string =>
  s ? `${localDay(new Date(s))} ${localClock(new Date(s))}` : "—";

const zh = () => lang() !== "en";

/** One API error `code` (or an HTTP status) in words. */
export function errorWord(code: string, status = 0): string {
  const known = word("err_", code);
  if (known !== code) return known;
  if (status === 401) return word("err_", "unauthorized");
  if (status === 403) return word("err_", "forbidden");
  if (status === 404) return word("err_", "not_found");
  if (status === 409) return word("err_", "conflict");
  if (status === 413) return word("err_", "too_large");
  if (status >= 500) return word("err_", "internal");
  if (status >= 400) return word("err_", "invalid");
  return t("err_network");
}

/** An error as a sentence in the current language (no server text). */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return errorWord(e.code, e.status);
  return t("err_network");
}

/**
 * An error as an element: the sentence, and the server's own message folded away as a
 * detail (shown on request; kept out of the visible text).
 */
export function errorBox(e: unknown, prefix = "", id?: string): HTMLElement {
  const detail = e instanceof Error ? e.message : String(e);
  return h(
    "div",
    { class: "error", role: "alert", id },
    h("p", {}, `${prefix ? `${prefix}：` : ""}${errorText(e)}`),
    detail ? h("details", { class: "detail" }, h("summary", {}, t("detail")), h("code", {}, detail)) : null,
  );
}

/** A job state (`queued`, `running`, `done`, `dead`) in words. */
export const jobState = (s: string): string => word("job_", s);

/** A job kind (`ingest`, …) in words. */
export const jobKind = (s: string): string => word("jobkind_", s);

const NOTES: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^audio short: (\d+) samples of silence$/, (m) => `音频偏短：补静音 ${m[1]} 个采样`],
  [/^source short: last frame held for (\d+) frames$/, (m) => `素材偏短：末帧保持 ${m[1]} 帧`],
  [/^source late: (\d+) frames repeated, (\d+) samples of silence$/, (m) => `素材迟到：重复 ${m[1]} 帧、静音 ${m[2]} 个采样`],
  [/^waited ([\d.]+) s for the input to open$/, (m) => `等待素材打开 ${m[1]} 秒`],
  [/^joined ([\d.]+) s into the item$/, (m) => `从第 ${m[1]} 秒开始播出`],
  [/^hard start of item (\d+) took its slot$/, (m) => `被第 ${m[1]} 条定时节目占用时段`],
  [/^cut by hard start of item (\d+)$/, (m) => `被第 ${m[1]} 条定时节目截断`],
  [/^filler (.+)$/, (m) => `垫片 ${m[1]}`],
  [/^live source back at ([\d.]+) s$/, (m) => `直播源于 ${m[1]} 秒恢复`],
  [/^live source call at ([\d.]+) s failed/, () => "直播源连接失败，稍后重试"],
  [/^interrupted by an override/, () => "被插播打断"],
  [/^cannot copy frame/, () => "画面复制失败"],
];

const FIXED: Record<string, string> = {
  "nothing scheduled before a hard start: slate and silence": "定时节目前无内容：黑场和静音",
  "playlist ended: slate and silence": "节目单结束：黑场和静音",
  "no audio track: silence": "无音轨：静音",
  "no video track: slate": "无视频轨：黑场",
  "skipped by the operator": "被操作员跳过",
  "engine stopped": "播出引擎停止",
  overridden: "被插播替代",
  "joined late after an override": "插播后迟入",
  "ended early: the channel replanned": "频道重新编排，提前结束",
  "armed ahead": "提前就绪",
  "overlay on the programme": "叠加在节目上",
  "released before it was open": "打开前被释放",
  "resumed after the override": "插播结束后续播",
  "rejoined the schedule after the override": "插播结束后回到节目单",
  "file missing": "文件缺失",
  "no audio": "无音频",
  "on air: the end is the planned one until the item ends": "正在播出（结束时间暂按计划）",
};

/** One engine note (a `; `-separated part of an as-run reason) in words. */
export function noteWord(note: string): string {
  if (!zh()) return note;
  const fixed = FIXED[note];
  if (fixed) return fixed;
  for (const [re, zhText] of NOTES) {
    const m = note.match(re);
    if (m) return zhText(m);
  }
  return t("otherNote");
}

/** An as-run outcome and its reason in words: `已播出（音频偏短：补静音 256 个采样）`. */
export function outcomeText(outcome: string, reason: string | null | undefined): string {
  const o = word("out_", outcome);
  if (!reason) return o;
  const notes = reason.split("; ").map(noteWord);
  return zh() ? `${o}（${notes.join("；")}）` : `${o} (${notes.join("; ")})`;
}

/** Frames at `fps` as a time code HH:MM:SS:FF. */
export function timecode(frames: number, fps = 25): string {
  const f = Math.max(0, Math.round(frames));
  const ff = f % fps;
  const s = Math.floor(f / fps);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}:${p(ff)}`;
}

/** Milliseconds as HH:MM:SS, the one duration format of the reports. */
export function hms(ms: number): string {
  const s = Math.round(ms / 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

/** An audit action (`programme.update`) in words. */
export const actionWord = (a: string): string => word("act_", a);

/** An audit actor (`{kind,name}` or `user:NAME`) in words. */
export function actorWord(a: unknown): string {
  let kind = "";
  let name = "";
  if (typeof a === "string") {
    const i = a.indexOf(":");
    kind = i > 0 ? a.slice(0, i) : "";
    name = i > 0 ? a.slice(i + 1) : a;
  } else if (a && typeof a === "object") {
    const o = a as Record<string, unknown>;
    kind = String(o.kind ?? o.type ?? "");
    name = String(o.name ?? o.username ?? "");
  }
  if (kind === "system") return `${t("actorSystem")}（${word("sys_", name)}）`;
  if (kind === "token") return `${t("actorToken")} ${name}`;
  if (kind === "user") return `${t("actorUser")} ${name}`;
  return name || "—";
}

/** A role (`emergency_operator`) in words. */
export const roleWord = (r: string): string => word("role_", r);

export const ROLES = ["network_admin", "centre_admin", "editor", "scheduler", "emergency_operator", "viewer", "playout_node"];

/** A QC check name and severity in words. */
export const qcWord = (check: string): string => word("qc_", check);

/** What a signed-in role may do, on its own centre's objects at best (web/src/auth/policy.rs). */
export type Action = "writeProgramme" | "writeChannel" | "writeSchedule" | "sendAlert" | "readJobs" | "admin" | "networkAdmin";

export function may(u: Principal | null, what: Action, centre?: string): boolean {
  if (!u) return false;
  if (u.role === "network_admin") return true;
  const own = centre === undefined || centre === u.centre;
  switch (what) {
    case "writeProgramme":
      return own && (u.role === "centre_admin" || u.role === "editor");
    case "writeChannel":
    case "admin":
      return own && u.role === "centre_admin";
    case "writeSchedule":
      return own && (u.role === "centre_admin" || u.role === "scheduler");
    case "sendAlert":
      return (u.role === "centre_admin" || u.role === "emergency_operator") && (own || u.centre === "510400");
    case "readJobs":
      return u.role !== "playout_node";
    case "networkAdmin":
      return false;
  }
}

let signedIn: Principal | null = null;
/** The signed-in user, for pages that hide what the role may not do. */
export const currentUser = (): Principal | null => signedIn;
export const setCurrentUser = (u: Principal | null): void => {
  signedIn = u;
};

/** `text` with `{name}` places filled from `vars`. */
export const fill = (text: string, vars: Record<string, string | number>): string =>
  text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ""));
