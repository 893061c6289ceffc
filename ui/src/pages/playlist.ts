// The playlist editor (#/channel/<id>/day/<date>): a channel day's timeline (virtualised, with
// a now line), programmes dragged in from a catalog search panel or inserted at a time that
// follows the clock (the server splits the item on air, ripples and fits the day end), slate,
// fillers and live relays insertable, an edit panel for the selected item with the
// generator's reason, undo, generate (asking first over manual edits), publish, and the
// version history loaded only when opened.

import * as api from "../api";
import { duration, h, mount } from "../dom";
import { categoryName, t } from "../i18n";
import { errorText } from "../words";
import type { Page } from "../page";
import * as s from "../schedule";
import { ItemList, length, strip } from "./timeline";
import "../schedule.css";

const PROG = "application/x-kapok-programme";
const FILLER_CATEGORIES = ["台标宣传", "公益"];

interface Dragged {
  id: string;
  title: string;
  category: string;
  duration_ms: number;
  kind?: "programme" | "filler";
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
      const ok = page.items.filter((p) => p.duration_ms != null && p.status === "ready");
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

/** Who made a version: a user's name, or "system" in words (`user:NAME`, `system:WHAT`). */
const actor = (a: string): string => (a.startsWith("user:") ? a.slice(5) : a.startsWith("system:") ? t("actorSystem") : a);

function itemOf(p: s.Playlist, d: Dragged): s.Item {
  return {
    start: 0,
    duration: Math.max(1, Math.round((d.duration_ms / 1000) * s.fps(p.rate))),
    timing: "soft",
    source: { type: "programme", id: d.id },
    in_point: 0,
    title: d.title,
    kind: d.kind ?? "programme",
    category: d.category,
    locked: false,
  };
}

export function playlistPage(channelId: string, date: string): Page {
  const opened = performance.now();
  // The monitor's video segments fill the resource timing buffer (250 entries): this page's
  // requests are timed from an empty one.
  performance.clearResourceTimings();
  let day: s.Day | null = null;
  let list: ItemList | null = null;
  let selected = -1;
  const status = h("p", { class: "meta", role: "status", "aria-live": "polite", id: "pl-status" });
  const alert = h("div", { class: "pl-alert", role: "alert", id: "pl-alert" });
  const head = h("p", { class: "meta", id: "pl-version" });
  const stripBox = h("div", { class: "pl-strip" });
  const summary = h("div", { id: "pl-findings" });
  const panel = h("section", { class: "card pl-panel", id: "pl-panel", "aria-label": t("selectedItem") });
  const body = h("div", { class: "pl-body" });
  const history = h("ol", { class: "versions", id: "pl-versions" });
  const today = date === "today";
  const at = h("input", { id: "insert-at", type: "text", inputmode: "numeric", pattern: "[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", size: 8 });
  const follow = h("input", { id: "follow-clock", type: "checkbox", checked: true });
  const say = (msg: string, cls = "") => {
    alert.className = `pl-alert ${cls}`;
    mount(alert, msg ? h("p", {}, msg) : null);
  };
  let realDate = date;
  let chan: api.Channel | undefined;
  const timers: number[] = [];

  /** The insert time follows the clock (now + 2 min) until the scheduler types one. */
  const tick = () => {
    if (follow.checked && realDate === s.broadcastDay(new Date(), chan?.day_start ?? "06:00")) at.value = s.localClock(new Date(Date.now() + 120_000));
    list?.placeNow();
  };
  at.addEventListener("input", () => {
    follow.checked = false;
  });
  follow.addEventListener("change", tick);

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
            `${t("version")} ${x.version} · ${s.phrase("change", x.change_phrase, x.change)} · ${actor(x.created_by)} · ${new Date(x.created_at).toLocaleString()} · ${x.items} ${t("items")}`,
            x.published.length ? h("strong", { class: "published" }, ` · ${t("published")}`) : null,
          ),
        ),
    );
  };
  const historyBox = h("details", { class: "card history", id: "pl-history" }, h("summary", {}, t("history")), history);
  historyBox.addEventListener("toggle", () => {
    if (historyBox.open) void refreshHistory();
  });

  const renderPanel = () => {
    const d = day;
    const it = d && selected >= 0 ? d.playlist.items[selected] : undefined;
    if (!d || !it) {
      mount(panel, h("p", { class: "meta" }, t("noSelection")));
      return;
    }
    const i = selected;
    const p = d.playlist;
    const rate = s.fps(p.rate);
    const secs = (f: number) => (f / rate).toFixed(2);
    const mine = d.findings.filter((f) => f.item === i);
    const inPoint = h("input", { id: "trim-in", type: "number", step: "0.04", min: "0", value: secs(it.in_point) });
    const dur = h("input", { id: "trim-dur", type: "number", step: "0.04", min: "0.04", value: secs(it.duration) });
    const trim = h(
      "form",
      {
        class: "trim",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void run(t("trim"), { op: "trim", index: i, in_point: Math.round(Number(inPoint.value) * rate), duration: Math.round(Number(dur.value) * rate) });
        },
      },
      h("label", { for: "trim-in" }, t("inPoint")),
      inPoint,
      h("label", { for: "trim-dur" }, t("durationSecs")),
      dur,
      h("button", { type: "submit", class: "primary" }, t("apply")),
    );
    const btn = (label: string, cls: string, f: () => void, disabled = false) => h("button", { type: "button", class: cls, onclick: f, disabled }, label);
    mount(
      panel,
      h("h2", {}, `#${i + 1} ${s.clockOf(p, it.start)} ${it.title}`),
      h("p", { class: "meta" }, `${t(`kind_${it.kind}` as Parameters<typeof t>[0])} · ${length(it.duration / rate)} · ${it.category ? categoryName(it.category) : ""}`),
      it.why || it.reason ? h("p", { class: "why", id: "pl-why" }, `${t("why")}: ${s.phrase("why", it.reason, it.why ?? "")}`) : null,
      mine.length
        ? h(
            "ul",
            { class: "findings" },
            mine.map((f) => h("li", { class: f.severity, "data-code": f.code }, `${t(f.severity === "error" ? "findingError" : "findingWarning")}: ${s.findingText(f)}`)),
          )
        : null,
      h(
        "div",
        { class: "actions" },
        btn(`↑ ${t("moveUp")}`, "up", () => void run(t("move"), { op: "move", from: i, to: i - 1 }), i === 0),
        btn(`↓ ${t("moveDown")}`, "down", () => void run(t("move"), { op: "move", from: i, to: i + 1 }), i === p.items.length - 1),
        btn(it.timing === "hard" ? t("makeSoft") : t("makeHard"), "retime", () => void run(t("retime"), { op: "retime", index: i, start: it.start, hard: it.timing !== "hard" })),
        btn(it.locked ? t("unlock") : t("lock"), "lock", () => void run(t("lock"), { op: "lock", index: i, locked: !it.locked })),
        btn(t("delete"), "delete danger", () => void run(t("delete"), { op: "delete", index: i })),
      ),
      trim,
    );
  };

  const select = (i: number) => {
    selected = i;
    list?.select(i);
    renderPanel();
  };

  /** Redraws after a new version: the strip, the findings summary, the list (rows in view) and the panel. */
  const render = () => {
    if (!day) {
      head.textContent = t("noDay");
      mount(body);
      list = null;
      return;
    }
    const d = day;
    const p = d.playlist;
    const last = p.items[p.items.length - 1];
    head.textContent = `${t("version")} ${d.version} (${s.phrase("change", d.change_phrase, d.change)}) · ${t("publishedVersion")}: ${d.published_version ?? "—"} · ${p.items.length} ${t("itemsCount")}${last ? ` · ${t("dayEnd")} ${s.clockOf(p, last.start + last.duration)}` : ""}`;
    const general = d.findings.filter((f) => f.item == null);
    const errors = d.findings.filter((f) => f.severity === "error");
    const warnings = d.findings.length - errors.length;
    mount(stripBox, strip(p, d.findings, (i) => {
      list?.scrollTo(i);
      select(i);
    }));
    // Item findings listed (first few) with a link to their row; day findings in full.
    const itemFindings = d.findings.filter((f) => f.item != null).slice(0, 8);
    mount(
      summary,
      h("p", { class: errors.length ? "error" : "meta", id: "pl-summary" }, `${t("findingsCount")}: ${errors.length} ${t("errorsWord")}, ${warnings} ${t("warningsWord")}`),
      general.length ? h("ul", { class: "findings day" }, general.map((f) => h("li", { class: f.severity, "data-code": f.code }, s.findingText(f)))) : null,
      itemFindings.length
        ? h(
            "ul",
            { class: "findings items", id: "pl-item-findings" },
            itemFindings.map((f) =>
              h(
                "li",
                { class: f.severity, "data-code": f.code },
                h(
                  "button",
                  {
                    type: "button",
                    class: "link",
                    onclick: () => {
                      list?.scrollTo(f.item ?? 0);
                      select(f.item ?? 0);
                    },
                  },
                  `#${(f.item ?? 0) + 1}`,
                ),
                ` ${s.findingText(f)}`,
              ),
            ),
          )
        : null,
    );
    if (selected >= p.items.length) selected = -1;
    if (list) {
      list.update(p, d.findings);
    } else {
      list = new ItemList(p, d.findings, {
        select,
        drop: (before, prog, from) => {
          // A programme dropped on a row goes in at that row's start, as the insert dialog
          // does it (the server splits, ripples and fits the day end).
          const cur = day?.playlist ?? p;
          if (prog) {
            const it = itemOf(cur, JSON.parse(prog) as Dragged);
            const row = cur.items[Math.min(before, cur.items.length - 1)];
            const T = before < cur.items.length ? (row?.start ?? 0) : row ? row.start + row.duration - 1 : 0;
            void insertAtFrames(T, it).catch(failed);
          } else if (from != null) void run(t("move"), { op: "move", from, to: before });
        },
      });
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
        if (data) void insertAtTime(itemOf(p, JSON.parse(data) as Dragged)).catch(failed);
      });
      mount(body, drop, list.el);
      list.draw();
      const n = list.nowIndex();
      if (n >= 0) list.scrollTo(n);
    }
    renderPanel();
  };

  const load = async (msg = "") => {
    status.textContent = t("loading");
    const t0 = performance.now();
    try {
      day = await s.day(channelId, realDate);
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) day = null;
      else throw e;
    }
    const t1 = performance.now();
    status.textContent = msg;
    render();
    // Where opening the day went: before the request (channels), the answer (server, transfer,
    // parse) and the first draw (read by the browser test).
    if (!status.dataset.openRenderMs) {
      const ms = (x: number) => String(Math.round(x));
      status.dataset.openSetupMs = ms(t0 - opened);
      status.dataset.openAnswerMs = ms(t1 - t0);
      status.dataset.openRenderMs = ms(performance.now() - t1);
      // Epoch milliseconds of the page's creation and of its first draw, so the test can
      // tell the click and what follows the draw apart from the page's own work.
      status.dataset.openAt = ms(performance.timeOrigin + opened);
      status.dataset.drawnAt = ms(performance.timeOrigin + performance.now());
      // The answer's parts from the browser's resource timing: waiting for a connection,
      // the server until its first byte, the transfer, and the parse after it.
      const r = performance
        .getEntriesByType("resource")
        .filter((e): e is PerformanceResourceTiming => e.name.includes(`/days/${realDate}`) && e.startTime >= t0)[0];
      if (r) {
        status.dataset.openStallMs = ms(r.requestStart - r.startTime);
        status.dataset.openServerMs = ms(r.responseStart - r.requestStart);
        status.dataset.openTransferMs = ms(r.responseEnd - r.responseStart);
        status.dataset.openParseMs = ms(t1 - r.responseEnd);
        status.dataset.openBytes = String(r.encodedBodySize);
      }
    }
    if (historyBox.open) void refreshHistory();
  };

  /** Takes a version just stored (an edit's answer) as the day shown. */
  const took = (v: s.Day) => {
    const published = day?.published_version;
    day = { ...v, published_version: v.published_version ?? published };
  };

  /** Runs edits in turn against the current version; a 409 reloads with a message. */
  const run = async (label: string, ...ops: s.EditOp[]) => {
    if (!day) return;
    say("");
    try {
      const t0 = performance.now();
      for (const op of ops) {
        if (!day) return;
        // Only the changed items come back (a 3,000-item day is not sent again).
        const r = await s.editRange(channelId, realDate, day.version, op);
        took(s.applyRange(day, r));
      }
      const t1 = performance.now();
      status.textContent = `${label} → ${t("version")} ${day?.version ?? ""}`;
      render();
      // How long the last edit took: the server's answer, then the redraw (read by the browser test).
      status.dataset.answerMs = String(Math.round(t1 - t0));
      status.dataset.redrawMs = String(Math.round(performance.now() - t1));
      if (historyBox.open) void refreshHistory();
    } catch (e) {
      await failed(e);
    }
  };
  const failed = async (e: unknown) => {
    if (e instanceof api.ApiError && e.status === 409 && e.code === "conflict") {
      say(t("conflict"), "error");
      await load();
    } else if (e instanceof api.ApiError && e.code === "publish_blocked") {
      const f = ((e.body as { findings?: s.Finding[] }).findings ?? []).filter((x) => x.severity === "error");
      mount(
        alert,
        h("p", {}, `${t("publishBlocked")}: ${f.length} ${t("errorsWord")}`),
        h("ul", { id: "blocking" }, f.map((x) => h("li", { "data-code": x.code }, `${x.item != null ? `#${x.item + 1} ` : ""}${s.findingText(x)}`))),
      );
      alert.className = "pl-alert error";
    } else if (e instanceof api.ApiError && e.code === "in_the_past") {
      say(t("insertInPast"), "error");
    } else {
      say(`${t("error")}: ${s.refusalText(e, errorText)}`, "error");
      if (e instanceof api.ApiError && e.status === 409) await load();
    }
  };

  /** Inserts `item` at the time in the "insert at" box: the server splits, ripples and fits. */
  const insertAtTime = async (item: s.Item) => {
    if (!day) return;
    const T = s.framesAt(day.playlist, at.value);
    if (T == null) return say(t("badTime"), "error");
    await insertAtFrames(T, item);
  };
  /** Inserts `item` at frame `T` of the day (refused here when that has gone out). */
  const insertAtFrames = async (T: number, item: s.Item) => {
    if (!day) return;
    const p = day.playlist;
    if (T <= s.framesOfInstant(p, new Date())) return say(`${t("insertInPast")} (${s.clockOf(p, T)})`, "error");
    await run(t("insert"), { op: "insert_at", at: T, item });
    const i = day?.playlist.items.findIndex((x) => x.start === T && x.title === item.title) ?? -1;
    if (i >= 0) {
      list?.scrollTo(i);
      select(i);
    }
  };

  // Slate, filler or live at the insert time.
  const kind = h(
    "select",
    { id: "ins-kind" },
    h("option", { value: "slate" }, t("insertSlate")),
    h("option", { value: "filler" }, t("insertFiller")),
    h("option", { value: "live" }, t("insertLive")),
  );
  const choice = h("select", { id: "ins-choice" });
  const secs = h("input", { id: "ins-secs", type: "number", min: "1", step: "1", value: "30", size: 5 });
  const choiceLabel = h("label", { for: "ins-choice" }, t("fillerChoice"));
  let fillers: api.Programme[] = [];
  let relayList: s.Relay[] = [];
  const fillChoices = () => {
    const k = kind.value;
    choiceLabel.hidden = choice.hidden = k === "slate";
    choiceLabel.textContent = k === "live" ? t("relayChoice") : t("fillerChoice");
    const opts =
      k === "filler"
        ? fillers.map((p) => h("option", { value: p.id }, `${p.title} (${duration(p.duration_ms)})`))
        : k === "live"
          ? relayList.map((r) => h("option", { value: r.name }, r.name))
          : [];
    mount(choice, opts.length || k === "slate" ? opts : h("option", { value: "", disabled: true }, k === "live" ? t("noRelays") : t("noFillers")));
    fillerLength();
  };
  /** A filler's own length as the default (choosing another keeps the list as it is). */
  const fillerLength = () => {
    const f = fillers.find((p) => p.id === choice.value);
    if (kind.value === "filler" && f?.duration_ms) secs.value = String(Math.round(f.duration_ms / 1000));
  };
  kind.addEventListener("change", fillChoices);
  choice.addEventListener("change", fillerLength);
  const insertOther = async () => {
    if (!day) return;
    const rate = s.fps(day.playlist.rate);
    const frames = Math.max(1, Math.round(Number(secs.value) * rate));
    const k = kind.value;
    let item: s.Item;
    if (k === "filler") {
      const f = fillers.find((p) => p.id === choice.value);
      if (!f) return say(t("noFillers"), "error");
      item = { ...itemOf(day.playlist, { id: f.id, title: f.title, category: f.category, duration_ms: f.duration_ms ?? 0, kind: "filler" }) };
      item.duration = Math.min(item.duration, frames);
    } else if (k === "live") {
      const r = relayList.find((x) => x.name === choice.value);
      if (!r) return say(t("noRelays"), "error");
      item = { start: 0, duration: frames, timing: "soft", source: { type: "live", uri: r.name }, in_point: 0, title: r.name, kind: "live", category: "", locked: false };
    } else {
      item = { start: 0, duration: frames, timing: "soft", source: { type: "slate" }, in_point: 0, title: t("kind_slate"), kind: "slate", category: "", locked: false };
    }
    await insertAtTime(item);
  };
  const otherBox = h(
    "details",
    { class: "card pl-other", id: "pl-other" },
    h("summary", {}, t("insertOther")),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "ins-kind" }, t("insertKind")),
      kind,
      choiceLabel,
      choice,
      h("label", { for: "ins-secs" }, t("lengthSecs")),
      secs,
      h("button", { type: "button", id: "ins-go", onclick: () => void insertOther().catch(failed) }, t("insertButton")),
    ),
  );

  // Copy this day to the following days (a week from one good day); nothing is published.
  const copyDays = h("input", { id: "copy-days", type: "number", min: "1", max: "31", value: "6", size: 3 });
  const copyResult = h("ul", { id: "copy-result", class: "meta" });
  const copyBox = h(
    "details",
    { class: "card pl-copy", id: "pl-copy" },
    h("summary", {}, t("copyDay")),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "copy-days" }, t("copyNextDays")),
      copyDays,
      h(
        "button",
        {
          type: "button",
          id: "copy-go",
          onclick: () =>
            void (async () => {
              const n = Math.min(31, Math.max(1, Number(copyDays.value) || 1));
              const start = Date.parse(`${realDate}T00:00:00Z`);
              const to = Array.from({ length: n }, (_, k) => new Date(start + (k + 1) * 86_400_000).toISOString().slice(0, 10));
              const r = await s.copyDay(channelId, realDate, to);
              mount(
                copyResult,
                r.map((x) =>
                  h(
                    "li",
                    { class: x.errors ? "error" : "" },
                    h("a", { href: `#/channel/${encodeURIComponent(channelId)}/day/${x.date}` }, x.date),
                    ` · ${t("version")} ${x.version} · ${x.errors} ${t("errorsWord")}`,
                  ),
                ),
              );
            })().catch(failed),
        },
        t("copyGo"),
      ),
    ),
    copyResult,
  );

  const button = (id: string, label: string, f: () => Promise<unknown>, cls = "") =>
    h("button", { type: "button", id, class: cls, onclick: () => void f().catch(failed) }, label);
  const seed = h("input", { id: "gen-seed", type: "number", value: "1", min: "0", size: 4 });
  const templateLink = h("a", { href: `#/channel/${encodeURIComponent(channelId)}/template`, id: "pl-template-link" }, t("editTemplate"));
  const weekLink = h("a", { href: `#/channel/${encodeURIComponent(channelId)}/week`, id: "pl-week-link" }, t("weekNav"));
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("label", { for: "gen-seed" }, t("seed")),
    seed,
    button("generate", t("generate"), async () => {
      if (day && !day.change.startsWith("generated")) {
        if (!window.confirm(t("generateOverEdits").replace("{change}", s.phrase("change", day.change_phrase, day.change)))) return;
      }
      took(await s.generate(channelId, realDate, Number(seed.value) || 0));
      status.textContent = `${t("generated")} → ${t("version")} ${day?.version ?? ""}`;
      render();
    }),
    button("empty-day", t("emptyDay"), async () => {
      const d = await s.emptyDay(channelId, realDate);
      took(await s.edit(channelId, realDate, d.version, { op: "fit_day" }));
      render();
    }),
    button("fit-day", t("fitDay"), async () => run(t("fitDay"), { op: "fit_day" })),
    button("undo", t("undo"), async () => {
      if (!day) return;
      took(await s.undo(channelId, realDate, day.version));
      status.textContent = `${t("undo")} → ${t("version")} ${day?.version ?? ""}`;
      render();
    }),
    button(
      "publish",
      t("publish"),
      async () => {
        if (!day) return;
        say("");
        const r = await s.publish(channelId, realDate, day.version);
        day = { ...day, published_version: r.published_version };
        render();
        say(`${t("publishedOk")}: ${t("publishedVersion")} ${r.published_version}`, "ok");
        if (historyBox.open) void refreshHistory();
      },
      "primary",
    ),
    h("label", { for: "insert-at" }, t("insertAt")),
    at,
    h("label", { class: "inline" }, follow, ` ${t("followClock")}`),
    button("jump-now", t("jumpNow"), async () => {
      const n = list?.nowIndex() ?? -1;
      if (n >= 0) list?.scrollTo(n);
    }),
    templateLink,
    " ",
    weekLink,
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
    otherBox,
    copyBox,
    alert,
    head,
    status,
    stripBox,
    summary,
    h("div", { class: "pl-layout" }, catalogPanel((d) => void insertAtTime(itemOf(day?.playlist ?? ({ rate: { num: 25, den: 1 } } as s.Playlist), d)).catch(failed)), h("div", { class: "pl-main" }, body), panel),
    historyBox,
  );
  void (async () => {
    chan = (await api.recentChannels().catch(() => [])).find((c) => c.id === channelId);
    if (today) realDate = s.broadcastDay(new Date(), chan?.day_start ?? "06:00");
    dateInput.value = realDate;
    title.textContent = `${t("playlist")} · ${chan?.name ?? channelId} · ${realDate}`;
    at.value = chan?.day_start ?? "06:00";
    tick();
    timers.push(window.setInterval(tick, 1000));
    await load().catch(failed);
    const found = await Promise.all(FILLER_CATEGORIES.map((c) => api.programmes("", c).catch(() => ({ items: [] as api.Programme[] }))));
    fillers = found.flatMap((f) => f.items).filter((p) => p.status === "ready" && p.duration_ms);
    relayList = chan ? await s.relays(chan.centre).catch(() => []) : [];
    fillChoices();
  })();
  return { el, dispose: () => timers.forEach((x) => window.clearInterval(x)) };
}
