// The programme page's metadata form (PATCH /api/programmes/{id} with `version`; a 409
// reloads), its sharing toggle and its audit history (GET /api/programmes/{id}/audit).

import * as api from "../api";
import { h, mount } from "../dom";
import { CATEGORIES, lang, languageOptions, t } from "../i18n";
import { actionWord, actorWord, errorBox, stamp } from "../words";

interface Editable extends api.Programme {
  tags?: string[];
  sharing?: string;
}

interface AuditEntry {
  id: number;
  at: string;
  actor: unknown;
  action: string;
}


/** The audit history table of programme `id` into `box`. */
export async function auditInto(id: string, box: HTMLElement): Promise<void> {
  const list = await api.request<AuditEntry[]>("GET", `/api/programmes/${encodeURIComponent(id)}/audit`).catch(() => [] as AuditEntry[]);
  mount(
    box,
    h(
      "table",
      { class: "audit", id: "audit" },
      h("caption", {}, t("audit")),
      h("thead", {}, h("tr", {}, [t("when"), t("who"), t("action")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, list.map((e) => h("tr", {}, h("td", {}, stamp(e.at)), h("td", {}, actorWord(e.actor)), h("td", { "data-action": e.action }, actionWord(e.action))))),
    ),
  );
}

/** The edit form (showing `note`); `changed(p, note)` gets the programme as stored after a save (or a reload). */
export function editForm(p0: api.Programme, changed: (p: api.Programme, note: string) => void, note = ""): HTMLElement {
  let p = p0 as Editable;
  const title = h("input", { id: "ed-title", value: p.title, required: true });
  const cat = h(
    "select",
    { id: "ed-category" },
    CATEGORIES.map((c) => h("option", { value: c.value, selected: c.value === p.category }, lang() === "en" ? c.en : c.value)),
  );
  const desc = h("textarea", { id: "ed-description", rows: 3 });
  desc.value = p.description;
  const language = h(
    "select",
    { id: "ed-language" },
    languageOptions(p.language).map((o) => h("option", { value: o.value, selected: o.selected }, o.label)),
  );
  const tags = h("input", { id: "ed-tags", value: (p.tags ?? []).join(", ") });
  const shared = h("input", { id: "ed-shared", type: "checkbox", checked: p.sharing === "network" });
  const status = h("div", { role: "status", "aria-live": "polite", id: "ed-status" }, note);
  const form = h(
    "form",
    {
      class: "card edit",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const body = {
          version: p.version,
          title: title.value,
          category: cat.value,
          description: desc.value,
          language: language.value,
          tags: tags.value
            .split(/[,，]/)
            .map((x) => x.trim())
            .filter(Boolean),
          sharing: shared.checked ? "network" : "private",
        };
        try {
          p = await api.request<Editable>("PATCH", `/api/programmes/${encodeURIComponent(p.id)}`, JSON.stringify(body), "application/json");
          changed(p, t("saved"));
        } catch (err) {
          if (err instanceof api.ApiError && err.status === 409) {
            p = (await api.programme(p.id)) as Editable;
            changed(p, t("versionConflict"));
          } else {
            mount(status, errorBox(err));
          }
        }
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("editMeta")),
      h("label", { for: "ed-title" }, t("title")),
      title,
      h("label", { for: "ed-category" }, t("category")),
      cat,
      h("label", { for: "ed-description" }, t("description")),
      desc,
      h("label", { for: "ed-language" }, t("langField")),
      language,
      h("label", { for: "ed-tags" }, t("tags")),
      tags,
      h("label", { for: "ed-shared" }, t("shareNetwork")),
      shared,
    ),
    h("button", { type: "submit", class: "primary", id: "ed-save" }, t("save")),
    status,
  );
  return form;
}
