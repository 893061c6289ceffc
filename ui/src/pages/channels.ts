// Channels (#/channels): list (optionally with retired ones), create, rename / day start,
// retire and return to service, and a link to each channel's playlist editor for today.

import { ApiError } from "../api";
import { h, mount } from "../dom";
import { centreName, t } from "../i18n";
import type { Page } from "../page";
import * as s from "../schedule";

export function channelsPage(centre: string): Page {
  const body = h("tbody", {});
  const status = h("p", { role: "status", "aria-live": "polite", id: "ch-status" });
  const retired = h("input", { id: "ch-retired", type: "checkbox" });
  const fail = (e: unknown) => {
    status.textContent = `${t("error")}: ${e instanceof ApiError || e instanceof Error ? e.message : String(e)}`;
  };
  const load = async () => {
    const list = await s.allChannels(retired.checked).catch((e) => {
      fail(e);
      return [];
    });
    mount(
      body,
      list.map((c) => {
        const name = h("input", { id: `ch-name-${c.id}`, value: c.name, "aria-label": `${t("name")} ${c.slug}` });
        const start = h("input", { id: `ch-start-${c.id}`, value: c.day_start, size: 5, "aria-label": `${t("dayStart")} ${c.slug}` });
        const save = async (body: unknown) => {
          try {
            await s.updateChannel(c.id, body);
            status.textContent = `${t("saved")}: ${c.slug}`;
            await load();
          } catch (e) {
            fail(e);
          }
        };
        return h(
          "tr",
          { "data-slug": c.slug, class: c.retired_at ? "retired" : "" },
          h("td", {}, c.slug),
          h("td", {}, name),
          h("td", {}, c.kind === "radio" ? t("radio") : t("tv")),
          h("td", {}, centreName(c.centre)),
          h("td", {}, start),
          h(
            "td",
            { class: "actions" },
            h("button", { type: "button", onclick: () => void save({ name: name.value, day_start: start.value }) }, t("save")),
            h(
              "button",
              { type: "button", class: c.retired_at ? "" : "danger", onclick: () => void save({ retired: !c.retired_at }) },
              c.retired_at ? t("restore") : t("retire"),
            ),
            c.retired_at ? null : h("a", { href: `#/channel/${encodeURIComponent(c.id)}/day/today`, class: "edit-day" }, t("edit")),
          ),
        );
      }),
    );
  };
  retired.addEventListener("change", () => void load());
  const slug = h("input", { id: "new-slug", required: true, pattern: "[a-z0-9-]+" });
  const name = h("input", { id: "new-name", required: true });
  const kind = h("select", { id: "new-kind" }, h("option", { value: "tv" }, t("tv")), h("option", { value: "radio" }, t("radio")));
  const dayStart = h("input", { id: "new-start", value: "06:00", size: 5 });
  const form = h(
    "form",
    {
      class: "card new-channel",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const format =
          kind.value === "radio"
            ? { sample_rate: 48000, channels: 2 }
            : { width: 1920, height: 1080, fps: "25/1", sample_rate: 48000, channels: 2 };
        try {
          await s.createChannel({ centre, slug: slug.value, name: name.value, kind: kind.value, format, day_start: dayStart.value });
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
      slug,
      h("label", { for: "new-name" }, t("name")),
      name,
      h("label", { for: "new-kind" }, t("kind")),
      kind,
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
      form,
    ),
  };
}
