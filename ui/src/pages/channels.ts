// Channels (#/channels): list (optionally with retired ones), create, rename / day start,
// retire and return to service, and a link to each channel's playlist editor for today.

import * as api from "../api";
import { h, mount } from "../dom";
import { CENTRES, centreName, t } from "../i18n";
import type { Page } from "../page";
import * as s from "../schedule";
import { currentUser, errorBox, fill, may } from "../words";

/** The formats a new channel can have (stored as the API reads them). */
const FORMATS: Record<string, { label: string; kind: "tv" | "radio"; format: Record<string, unknown> }> = {
  hd: { label: "1920×1080 25p", kind: "tv", format: { width: 1920, height: 1080, fps: "25/1", sample_rate: 48000, channels: 2 } },
  hd720: { label: "1280×720 25p", kind: "tv", format: { width: 1280, height: 720, fps: "25/1", sample_rate: 48000, channels: 2 } },
  sd: { label: "720×576 25p", kind: "tv", format: { width: 720, height: 576, fps: "25/1", sample_rate: 48000, channels: 2 } },
  radio: { label: "48 kHz 立体声", kind: "radio", format: { sample_rate: 48000, channels: 2 } },
};

const CORNERS = ["top-right", "top-left", "bottom-right", "bottom-left"];

interface Extras {
  fillers?: string[];
  crawl?: string | null;
  logo?: { path: string; corner: string; margin?: number; opacity_percent?: number } | null;
}

/** A channel's crawl, fillers and logo, as a form saved with one PATCH. */
function extrasForm(c: s.ChannelFull & Extras, candidates: api.Programme[], save: (body: unknown) => Promise<void>): HTMLElement {
  const crawl = h("input", { id: `ch-crawl-${c.id}`, value: c.crawl ?? "", maxlength: 500 });
  const chosen = new Set(c.fillers ?? []);
  const fillers = h(
    "select",
    { id: `ch-fillers-${c.id}`, multiple: true, size: 4 },
    candidates.map((p) => h("option", { value: p.id, selected: chosen.has(p.id) }, p.title)),
  );
  const logoPath = h("input", { id: `ch-logo-${c.id}`, value: c.logo?.path ?? "", placeholder: "/srv/kapok/logo.png" });
  const corner = h(
    "select",
    { id: `ch-corner-${c.id}` },
    CORNERS.map((k) => h("option", { value: k, selected: (c.logo?.corner ?? "top-right") === k }, t(`corner_${k}` as "corner_top-right"))),
  );
  const tv = c.kind !== "radio";
  return h(
    "details",
    { class: "extras" },
    h("summary", {}, t("extras")),
    h(
      "form",
      {
        class: "extras-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          const body: Extras = { fillers: [...fillers.selectedOptions].map((o) => o.value) };
          if (tv) {
            body.crawl = crawl.value.trim() || null;
            body.logo = logoPath.value.trim() ? { path: logoPath.value.trim(), corner: corner.value } : null;
          }
          void save(body);
        },
      },
      tv ? [h("label", { for: crawl.id }, t("crawlText")), crawl] : null,
      h("label", { for: fillers.id }, t("fillerIds")),
      fillers,
      tv ? [h("label", { for: logoPath.id }, t("logo")), logoPath, h("label", { for: corner.id }, t("logoCorner")), corner] : null,
      h("button", { type: "submit", class: "save-extras" }, t("save")),
    ),
  );
}

export function channelsPage(centre: string): Page {
  const body = h("tbody", {});
  const status = h("p", { role: "status", "aria-live": "polite", id: "ch-status" });
  const retired = h("input", { id: "ch-retired", type: "checkbox" });
  const fail = (e: unknown) => mount(status, errorBox(e));
  const user = currentUser();
  let candidates: api.Programme[] = [];
  const load = async () => {
    const list = await s.allChannels(retired.checked).catch((e) => {
      fail(e);
      return [];
    });
    if (!candidates.length && may(user, "writeChannel")) {
      candidates = (await api.programmes("", "").catch(() => ({ items: [] as api.Programme[] }))).items.filter((p) => p.status === "ready");
    }
    mount(
      body,
      list.map((c) => {
        const name = h("input", { id: `ch-name-${c.id}`, value: c.name, "aria-label": `${t("name")} ${c.slug}` });
        const start = h("input", { id: `ch-start-${c.id}`, value: c.day_start, size: 5, "aria-label": `${t("dayStart")} ${c.slug}` });
        const save = async (body: unknown) => {
          try {
            await s.updateChannel(c.id, body);
            status.textContent = `${t("saved")}：${c.name}`;
            await load();
          } catch (e) {
            fail(e);
          }
        };
        const mine = may(user, "writeChannel", c.centre);
        const fmt = c.format as { width?: number; height?: number };
        return h(
          "tr",
          { "data-slug": c.slug, class: c.retired_at ? "retired" : "" },
          h("td", {}, c.slug),
          h("td", {}, mine ? name : c.name),
          h("td", {}, `${c.kind === "radio" ? t("radio") : t("tv")}${fmt.width ? ` ${fmt.width}×${fmt.height}` : ""}`),
          h("td", {}, centreName(c.centre)),
          h("td", {}, mine ? start : c.day_start),
          h(
            "td",
            { class: "actions" },
            mine ? h("button", { type: "button", onclick: () => void save({ name: name.value, day_start: start.value }) }, t("save")) : null,
            mine
              ? h(
                  "button",
                  {
                    type: "button",
                    class: c.retired_at ? "restore" : "danger retire",
                    onclick: () => {
                      // Retiring takes the channel off air: asked first.
                      if (!c.retired_at && !confirm(fill(t("retireConfirm"), { name: c.name }))) return;
                      void save({ retired: !c.retired_at });
                    },
                  },
                  c.retired_at ? t("restore") : t("retire"),
                )
              : null,
            c.retired_at ? null : h("a", { href: `#/channel/${encodeURIComponent(c.id)}/day/today`, class: "edit-day" }, t("edit")),
            mine && !c.retired_at ? extrasForm(c, candidates, save) : null,
          ),
        );
      }),
    );
  };
  retired.addEventListener("change", () => void load());
  // The hyphen is escaped: browsers compile `pattern` with the `v` flag, where a bare `-` at
  // the end of a class is an invalid expression (and the check was silently dropped).
  const slug = h("input", { id: "new-slug", required: true, pattern: "[a-z0-9\\-]+", "aria-describedby": "new-slug-hint" });
  const name = h("input", { id: "new-name", required: true });
  const kind = h(
    "select",
    { id: "new-kind" },
    Object.entries(FORMATS).map(([k, f]) => h("option", { value: k }, `${f.kind === "radio" ? t("radio") : t("tv")} · ${f.label}`)),
  );
  const owner = h(
    "select",
    { id: "new-centre" },
    (user?.role === "network_admin" ? Object.keys(CENTRES) : [centre]).map((c) => h("option", { value: c, selected: c === centre }, centreName(c))),
  );
  const dayStart = h("input", { id: "new-start", value: "06:00", size: 5 });
  const form = h(
    "form",
    {
      class: "card new-channel",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const f = FORMATS[kind.value] ?? FORMATS.hd;
        try {
          await s.createChannel({ centre: owner.value, slug: slug.value, name: name.value, kind: f?.kind, format: f?.format, day_start: dayStart.value });
          status.textContent = `${t("saved")}: ${slug.value}`;
          await load();
        } catch (err) {
          fail(err);
        }
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("create")),
      h("label", { for: "new-slug" }, t("slug")),
      h("div", {}, slug, h("span", { id: "new-slug-hint", class: "meta" }, t("slugHint"))),
      h("label", { for: "new-name" }, t("name")),
      name,
      h("label", { for: "new-kind" }, t("format")),
      kind,
      h("label", { for: "new-centre" }, t("centre")),
      owner,
      h("label", { for: "new-start" }, t("dayStart")),
      dayStart,
      h("button", { type: "submit", class: "primary" }, t("create")),
    ),
  );
  void load();
  return {
    el: h(
      "section",
      { "aria-labelledby": "ch-title" },
      h("h1", { id: "ch-title" }, t("channelsNav")),
      h("p", {}, retired, " ", h("label", { for: "ch-retired" }, t("showRetired"))),
      status,
      h(
        "table",
        { class: "channels" },
        h("thead", {}, h("tr", {}, [t("slug"), t("name"), t("kind"), t("centre"), t("dayStart"), t("actions")].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
      may(user, "writeChannel") ? form : null,
    ),
  };
}
