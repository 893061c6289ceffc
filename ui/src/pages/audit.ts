// The audit log (#/audit), for admins: who did what, in words. The API reads the log by actor
// (GET /api/audit?actor=user:NAME): the page lists the actions of each account the admin
// manages (and, for the network admin, of the system's workers), newest first, with a filter
// by account.

import * as api from "../api";
import { h, mount } from "../dom";
import { lang, t } from "../i18n";
import type { Page } from "../page";
import { actionWord, actorWord, errorBox, may } from "../words";

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
}

const SYSTEM = ["system:ingest", "system:demo", "system:queue", "system:scheduler"];

export function auditPage(me: api.Principal | null): Page {
  const status = h("div", { role: "status", "aria-live": "polite" });
  const body = h("tbody", {});
  const who = h("select", { id: "au-actor" }, h("option", { value: "" }, t("allActors")));
  if (!may(me, "admin")) {
    return { el: h("section", {}, h("h1", {}, t("auditNav")), h("p", { class: "error" }, t("err_forbidden"))) };
  }
  const load = async () => {
    try {
      const users = await api.request<Array<{ username: string }>>("GET", "/api/users");
      const actors = [...users.map((u) => `user:${u.username}`), ...(me?.role === "network_admin" ? SYSTEM : [])];
      if (who.options.length === 1) {
        for (const a of actors) who.append(h("option", { value: a }, actorWord(a)));
      }
      const asked = who.value ? [who.value] : actors;
      const lists = await Promise.all(
        asked.map((a) => api.request<Entry[]>("GET", `/api/audit?actor=${encodeURIComponent(a)}&limit=200`).catch(() => [] as Entry[])),
      );
      const seen = new Set<number>();
      const all = lists
        .flat()
        .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
        .sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id)
        .slice(0, 500);
      mount(
        body,
        all.length
          ? all.map((e) =>
              h(
                "tr",
                { "data-action": e.action },
                h("td", {}, new Date(e.at).toLocaleString(lang())),
                h("td", {}, actorWord(e.actor)),
                h("td", {}, actionWord(e.action)),
                h(
                  "td",
                  {},
                  e.object_type === "programme"
                    ? h("a", { href: `#/programme/${encodeURIComponent(e.object_id)}` }, t("details"))
                    : h("code", {}, e.object_id),
                ),
              ),
            )
          : h("tr", {}, h("td", { colspan: 4 }, t("noEntries"))),
      );
      mount(status);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  who.addEventListener("change", () => void load());
  void load();
  return {
    el: h(
      "section",
      { "aria-labelledby": "au-title" },
      h("h1", { id: "au-title" }, t("auditNav")),
      h("p", {}, h("label", { for: "au-actor" }, t("actorFilter")), " ", who),
      status,
      h(
        "table",
        { class: "audit", id: "audit-log" },
        h("thead", {}, h("tr", {}, [t("when"), t("who"), t("action"), t("object")].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
    ),
  };
}
