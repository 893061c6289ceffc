// The audit log (#/audit), for admins: who did what, in words. One query to the API
// (GET /api/audit with actor, action kind, centre and a day range), newest first, 100 at a
// time; 更早的记录 pages on from the last entry shown. A centre admin reads its own centre.

import * as api from "../api";
import { h, mount } from "../dom";
import { CENTRES, centreName, t, word } from "../i18n";
import type { Page } from "../page";
import * as sch from "../schedule";
import { actionWord, actorWord, errorBox, may, stamp } from "../words";

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
}

const SYSTEM = ["system:ingest", "system:demo", "system:queue", "system:scheduler"];
/** Kinds of action, by the prefix of their name. */
const KINDS = ["programme", "channel", "schedule", "user", "token", "relay", "alert", "job"];
const PAGE = 100;

export function auditPage(me: api.Principal | null): Page {
  const status = h("div", { role: "status", "aria-live": "polite" });
  const body = h("tbody", {});
  const who = h("select", { id: "au-actor" }, h("option", { value: "" }, t("allActors")));
  if (!may(me, "admin")) {
    return { el: h("section", {}, h("h1", {}, t("auditNav")), h("p", { class: "error" }, t("err_forbidden"))) };
  }
  const network = me?.role === "network_admin";
  const kind = h(
    "select",
    { id: "au-kind" },
    h("option", { value: "" }, t("allKinds")),
    KINDS.map((k) => h("option", { value: `${k}.` }, word("akind_", k))),
  );
  // A centre admin reads its own centre's history: the choice is shown, fixed.
  const centre = h(
    "select",
    { id: "au-centre", disabled: !network },
    network ? h("option", { value: "" }, t("allCentres")) : null,
    Object.keys(CENTRES)
      .filter((c) => network || c === me?.centre)
      .map((c) => h("option", { value: c }, centreName(c))),
  );
  const from = h("input", { id: "au-from", type: "date" });
  const until = h("input", { id: "au-until", type: "date", value: sch.localDay(new Date()) });
  const more = h("button", { type: "button", id: "au-more", hidden: true }, t("olderEntries"));
  let last: number | null = null;
  // Filters changed quickly: only the latest question's answer is shown.
  let asked = 0;
  // Objects named where the page knows them: channels by name, users by username.
  const names = new Map<string, string>();

  const row = (e: Entry) =>
    h(
      "tr",
      { "data-action": e.action, "data-id": e.id },
      h("td", {}, stamp(e.at)),
      h("td", {}, actorWord(e.actor)),
      h("td", {}, actionWord(e.action)),
      h(
        "td",
        {},
        e.object_type === "programme"
          ? h("a", { href: `#/programme/${encodeURIComponent(e.object_id)}` }, t("details"))
          : `${word("akind_", e.object_type)} `,
        e.object_type === "programme" ? null : names.has(e.object_id) ? names.get(e.object_id) : h("code", {}, e.object_id),
      ),
    );

  /** The first page (`older` false) or the next one. */
  const load = async (older: boolean) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (who.value) q.set("actor", who.value);
    if (kind.value) q.set("action", kind.value);
    if (centre.value) q.set("centre", centre.value);
    // Whole days in UTC+8, "until" the last day shown.
    if (from.value) q.set("from", new Date(`${from.value}T00:00:00+08:00`).toISOString());
    if (until.value) q.set("until", new Date(new Date(`${until.value}T00:00:00+08:00`).getTime() + 86400_000).toISOString());
    if (older && last !== null) q.set("before", String(last));
    const mine = ++asked;
    try {
      const page = await api.request<Entry[]>("GET", `/api/audit?${q}`);
      if (mine !== asked) return;
      last = page.length ? page[page.length - 1].id : last;
      more.hidden = page.length < PAGE;
      if (older) body.append(...page.map(row));
      else mount(body, page.length ? page.map(row) : h("tr", {}, h("td", { colspan: 4 }, t("noEntries"))));
      mount(status);
    } catch (e) {
      if (mine === asked) mount(status, errorBox(e));
    }
  };
  const reload = () => {
    last = null;
    void load(false);
  };
  const known = Promise.all([
    api.request<Array<{ id: string; username: string }>>("GET", "/api/users").then((users) => {
      for (const u of users) names.set(u.id, u.username);
      for (const a of [...users.map((u) => `user:${u.username}`), ...(network ? SYSTEM : [])]) who.append(h("option", { value: a }, actorWord(a)));
    }),
    api.channels().then((list) => list.forEach((c) => names.set(c.id, c.name))),
  ]).catch((e: unknown) => mount(status, errorBox(e)));
  for (const el of [who, kind, centre, from, until]) el.addEventListener("change", reload);
  more.addEventListener("click", () => void load(true));
  void known.then(reload);
  const field = (id: string, label: string, el: HTMLElement) => h("label", { for: id }, label, " ", el);
  return {
    el: h(
      "section",
      { "aria-labelledby": "au-title" },
      h("h1", { id: "au-title" }, t("auditNav")),
      h(
        "p",
        { class: "filters" },
        field("au-actor", t("actorFilter"), who),
        " ",
        field("au-kind", t("kindFilter"), kind),
        " ",
        field("au-centre", t("centre"), centre),
        " ",
        field("au-from", t("from"), from),
        " ",
        field("au-until", t("until"), until),
      ),
      status,
      h(
        "table",
        { class: "audit", id: "audit-log" },
        h("thead", {}, h("tr", {}, [t("when"), t("who"), t("action"), t("object")].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
      more,
    ),
  };
}
