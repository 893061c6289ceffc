// The playlist editor (#/channel/<id>/day/<date>): a channel day's timeline, programmes
// dragged in from a catalog search panel, move/trim/delete/retime/lock edits against the
// current version (409: reload with a message), undo, generate, publish, version history.

import * as api from "../api";
import { duration, h, mount } from "../dom";
import { categoryName, t } from "../i18n";
import type { Page } from "../page";
import * as s from "../schedule";
import { itemList, strip, type RowActions } from "./timeline";

const PROG = "application/x-kapok-programme";

interface Dragged {
  id: string;
  title: string;
  category: string;
  duration_ms: number;
}

/** The catalog panel: a search whose results can be dragged onto the timeline (or inserted with a button). */
function catalogPanel(insertAt: (p: Dragged) => void): HTMLElement {
  const q = h("input", { id: "pl-search", type: "search", placeholder: t("searchPlaceholder") });
  const list = h("ul", { class: "pl-results", "aria-label": t("results") });
  const status = h("p", { class: "meta", role: "status" });
  const run = async () => {
    status.textContent = t("loading");
    try {
      const page = await api.programmes(q.value, "");
      const ok = page.items.filter((p) => p.duration_ms != null);
      status.textContent = ok.length ? `${t("results")}: ${ok.length}` : t("noResults");
      mount(
        list,
        ok.map((p) => {
          const d: Dragged = { id: p.id, title: p.title, category: p.category, duration_ms: p.duration_ms ?? 0 };
          const li = h(
            "li",
            { class: "card draggable", draggable: "true", "data-id": p.id },
            h("span", { class: "title" }, p.title),
            h("span", { class: "meta" }, `${categoryName(p.category)} · ${duration(p.duration_ms)}`),
            h("button", { type: "button", class: "insert", onclick: () => insertAt(d) }, t("insertAtTime")),
          );
          li.addEventListener("dragstart", (e) => {
            e.dataTransfer?.setData(PROG, JSON.stringify(d));
            if (e.dataTransfer) e.dataTransfer.effectAllowed = "copy";
          });
          return li;
        }),
      );
    } catch (e) {
      status.textContent = `${t("error")}: ${(e as Error).message}`;
    }
  };
  const form = h(
    "form",
    {
      role: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    h("label", { for: "pl-search" }, t("searchLabel")),
    q,
    h("button", { type: "submit" }, t("search")),
  );
  void run();
  return h("aside", { class: "card pl-catalog", "aria-labelledby": "pl-catalog-title" }, h("h2", { id: "pl-catalog-title" }, t("catalog")), form, status, list);
}

function itemOf(p: s.Playlist, d: Dragged): s.Item {
  return {
    start: 0,
    duration: Math.max(1, Math.round((d.duration_ms / 1000) * s.fps(p.rate))),
    timing: "soft",
    source: { type: "programme", id: d.id },
    in_point: 0,
    title: d.title,
    kind: "programme",
    category: d.category,
    locked: false,
  };
}

export function playlistPage(channelId: string, date: string): Page {
  let day: s.Day | null = null;
  const status = h("p", { class: "meta", role: "status", "aria-live": "polite", id: "pl-status" });
  const alert = h("div", { class: "pl-alert", role: "alert", id: "pl-alert" });
  const head = h("p", { class: "meta", id: "pl-version" });
  const body = h("div", { class: "pl-body" });
  const history = h("ol", { class: "versions", id: "pl-versions" });
  const today = date === "today";
  const at = h("input", { id: "insert-at", type: "text", inputmode: "numeric", pattern: "\\d{1,2}:\\d{2}(:\\d{2})?", size: 8 });
  const say = (msg: string, cls = "") => {
    alert.className = `pl-alert ${cls}`;
    mount(alert, msg ? h("p", {}, msg) : null);
  };
  let realDate = date;
  let chan: api.Channel | undefined;

  const refreshHistory = async () => {
    const v = await s.versions(channelId, realDate).catch(() => ({ versions: [] as s.VersionInfo[] }));
    mount(
      history,
      v.versions
        .slice()
        .reverse()
        .map((x) =>
          h(
            "li",
            { class: day && x.version === day.version ? "current" : "" },
            `${t("version")} ${x.version} · ${x.change} · ${x.created_by} · ${new Date(x.created_at).toLocaleString()} · ${x.items} ${t("items")}`,
            x.published.length ? h("strong", { class: "published" }, ` · ${t("published")}`) : null,
          ),
        ),
    );
  };

  const render = () => {
    if (!day) {
      head.textContent = t("noDay");
      mount(body);
      return;
    }
    const d = day;
    head.textContent = `${t("version")} ${d.version} (${d.change}) · ${t("publishedVersion")}: ${d.published_version ?? "—"}`;
    const general = d.findings.filter((f) => f.item == null);
    const errors = d.findings.filter((f) => f.severity === "error").length;
    const drop = h("div", { class: "drop-zone", id: "drop-zone", tabindex: "-1" }, t("dropHere"));
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("drop-target");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("drop-target"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("drop-target");
      const data = e.dataTransfer?.getData(PROG);
      if (data) void insertAtTime(JSON.parse(data) as Dragged);
    });
    mount(
      body,
      strip(d.playlist, d.findings, (i) => body.querySelector<HTMLElement>(`li.item[data-index="${i}"] button`)?.focus()),
      h("p", { class: errors ? "error" : "meta", id: "pl-summary" }, `${t("findingsCount")}: ${errors} ${t("errorsWord")}, ${d.findings.length - errors} ${t("warningsWord")}`),
      general.length ? h("ul", { class: "findings day" }, general.map((f) => h("li", { class: f.severity }, f.message))) : null,
      drop,
      itemList(d.playlist, d.findings, actions),
    );
  };

  const load = async (msg = "") => {
    status.textContent = t("loading");
    try {
      day = await s.day(channelId, realDate);
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) day = null;
      else throw e;
    }
    status.textContent = msg;
    render();
    void refreshHistory();
  };

  /** Runs edits in turn against the current version; a 409 reloads with a message. */
  const run = async (label: string, ...ops: s.EditOp[]) => {
    if (!day) return;
    say("");
    try {
      for (const op of ops) day = await s.edit(channelId, realDate, day.version, op);
      status.textContent = `${label} → ${t("version")} ${day.version}`;
      render();
      void refreshHistory();
    } catch (e) {
      await failed(e);
    }
  };
  const failed = async (e: unknown) => {
    if (e instanceof api.ApiError && e.status === 409 && e.code === "conflict") {
      say(`${t("conflict")} (${e.message})`, "error");
      await load();
    } else if (e instanceof api.ApiError && e.code === "publish_blocked") {
      const f = ((e.body as { findings?: s.Finding[] }).findings ?? []).filter((x) => x.severity === "error");
      mount(alert, h("p", {}, `${t("publishBlocked")}: ${e.message}`), h("ul", { id: "blocking" }, f.map((x) => h("li", {}, `${x.item != null ? `#${x.item + 1} ` : ""}${x.message}`))));
      alert.className = "pl-alert error";
    } else {
      say(`${t("error")}: ${(e as Error).message}`, "error");
      if (e instanceof api.ApiError && e.status === 409) await load();
    }
  };

  /** Inserts `d` at the time in the "insert at" box, splitting the item on air then. */
  const insertAtTime = async (d: Dragged) => {
    if (!day) return;
    const p = day.playlist;
    const T = s.framesAt(p, at.value);
    if (T == null) return say(t("badTime"), "error");
    const item = itemOf(p, d);
    const k = p.items.findIndex((it) => it.start <= T && T < it.start + it.duration);
    if (k < 0) return run(t("insert"), { op: "insert", index: p.items.length, item });
    const cur = p.items[k] as s.Item;
    if (cur.start === T) return run(t("insert"), { op: "insert", index: k, item });
    const head = T - cur.start;
    // A programme resumes where it was cut and runs to its end (later soft items move on);
    // slate, fillers and relays give up the inserted length, so the day keeps its length.
    const whole = cur.kind === "programme";
    const rest = cur.duration - head - (whole ? 0 : item.duration);
    const ops: s.EditOp[] = [
      { op: "trim", index: k, in_point: cur.in_point, duration: head },
      { op: "insert", index: k + 1, item },
    ];
    if (rest > 0) {
      const resume = cur.kind === "slate" || cur.kind === "live" ? 0 : cur.in_point + head;
      ops.push({ op: "insert", index: k + 2, item: { ...cur, start: 0, timing: "soft", locked: false, in_point: resume, duration: rest } });
    }
    await run(t("insert"), ...ops);
  };

  const actions: RowActions = {
    move: (from, to) => void run(t("move"), { op: "move", from, to }),
    remove: (i) => void run(t("delete"), { op: "delete", index: i }),
    trim: (i, in_point, dur) => void run(t("trim"), { op: "trim", index: i, in_point, duration: dur }),
    retime: (i, hard) => {
      if (day) void run(t("retime"), { op: "retime", index: i, start: day.playlist.items[i]?.start ?? 0, hard });
    },
    lock: (i, locked) => void run(t("lock"), { op: "lock", index: i, locked }),
    dropProgramme: (before, data) => {
      if (day) void run(t("insert"), { op: "insert", index: before, item: itemOf(day.playlist, JSON.parse(data) as Dragged) });
    },
  };

  const button = (id: string, label: string, f: () => Promise<unknown>, cls = "") =>
    h("button", { type: "button", id, class: cls, onclick: () => void f().catch(failed) }, label);
  const seed = h("input", { id: "gen-seed", type: "number", value: "1", min: "0", size: 4 });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("label", { for: "gen-seed" }, t("seed")),
    seed,
    button("generate", t("generate"), async () => {
      day = await s.generate(channelId, realDate, Number(seed.value) || 0);
      await load(`${t("generated")} → ${t("version")} ${day.version}`);
    }),
    button("empty-day", t("emptyDay"), async () => {
      await s.emptyDay(channelId, realDate);
      await load();
    }),
    button("undo", t("undo"), async () => {
      if (!day) return;
      day = await s.undo(channelId, realDate, day.version);
      await load(`${t("undo")} → ${t("version")} ${day.version}`);
    }),
    button(
      "publish",
      t("publish"),
      async () => {
        if (!day) return;
        say("");
        const r = await s.publish(channelId, realDate, day.version);
        await load(`${t("publishedOk")}: ${t("publishedVersion")} ${r.published_version}`);
        say(`${t("publishedOk")}: ${t("publishedVersion")} ${r.published_version}`, "ok");
      },
      "primary",
    ),
    h("label", { for: "insert-at" }, t("insertAt")),
    at,
  );
  const title = h("h1", { id: "pl-title" }, t("playlist"));
  const dateInput = h("input", { id: "pl-date", type: "date" });
  dateInput.addEventListener("change", () => {
    location.hash = `#/channel/${encodeURIComponent(channelId)}/day/${dateInput.value}`;
  });
  const el = h(
    "section",
    { class: "playlist", "aria-labelledby": "pl-title" },
    title,
    h("p", {}, h("label", { for: "pl-date" }, t("date")), " ", dateInput),
    toolbar,
    alert,
    head,
    status,
    h("div", { class: "pl-layout" }, catalogPanel((d) => void insertAtTime(d).catch(failed)), h("div", { class: "pl-main" }, body)),
    h("details", { class: "card history" }, h("summary", {}, t("history")), history),
  );
  void (async () => {
    chan = (await api.channels().catch(() => [])).find((c) => c.id === channelId);
    if (today) realDate = s.broadcastDay(new Date(), chan?.day_start ?? "06:00");
    dateInput.value = realDate;
    title.textContent = `${t("playlist")} · ${chan?.name ?? channelId} · ${realDate}`;
    at.value = realDate === s.broadcastDay(new Date(), chan?.day_start ?? "06:00") ? s.localClock(new Date(Date.now() + 120_000)) : (chan?.day_start ?? "06:00");
    await load().catch(failed);
  })();
  return { el };
}
