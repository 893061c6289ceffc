// Reports (#/reports): airtime per category per centre with the agricultural (涉农) and local
// programme hours, as a table and an inline-SVG chart; and one channel's as-run log.

import * as api from "../api";
import { stackedBars } from "../chart";
import { duration, h, mount } from "../dom";
import { CENTRES, categoryName, centreName, t } from "../i18n";
import type { Page } from "../page";
import * as s from "../schedule";
import { asRunTable } from "./asrun";

/** Hours as H:MM:SS. */
const hms = (hours: number) => duration(hours * 3600_000);
// The date fields are days in UTC+8 (as `range` reads them back), not UTC days: between 00:00
// and 08:00 in Panzhihua the UTC day is still yesterday and today's airtime would fall outside.
const dayText = (d: Date) => s.localDay(d);

export function reportsPage(): Page {
  const now = new Date();
  const from = h("input", { id: "rp-from", type: "date", value: dayText(new Date(now.getTime() - 6 * 86400_000)) });
  const until = h("input", { id: "rp-until", type: "date", value: dayText(now) });
  const centre = h(
    "select",
    { id: "rp-centre" },
    h("option", { value: "" }, t("allCentres")),
    Object.keys(CENTRES).map((c) => h("option", { value: c }, centreName(c))),
  );
  const channel = h("select", { id: "rp-channel" });
  const out = h("div", { id: "rp-airtime", "aria-live": "polite" });
  const runs = h("div", { id: "rp-asrun", "aria-live": "polite" });
  // Both dates count whole days (UTC+8): "until" is the last day shown.
  const range = (): [Date, Date] => [
    new Date(`${from.value}T00:00:00+08:00`),
    new Date(new Date(`${until.value}T00:00:00+08:00`).getTime() + 86400_000),
  ];
  const show = async () => {
    const [f, u] = range();
    try {
      const r = await s.airtime(f, u, centre.value);
      const cats = [...new Set(r.centres.flatMap((c) => Object.keys(c.categories)))];
      mount(
        out,
        r.centres.length
          ? [
              stackedBars(
                r.centres.map((c) => ({ label: centreName(c.centre), values: c.categories })),
                cats,
                categoryName,
                t("hours"),
                t("airtime"),
              ),
              h(
                "table",
                { class: "airtime" },
                h("caption", {}, t("airtime")),
                h("thead", {}, h("tr", {}, [t("centre"), ...cats.map(categoryName), t("agricultural"), t("local"), t("total")].map((x) => h("th", { scope: "col" }, x)))),
                h(
                  "tbody",
                  {},
                  r.centres.map((c) =>
                    h(
                      "tr",
                      { "data-centre": c.centre },
                      h("th", { scope: "row" }, centreName(c.centre)),
                      cats.map((k) => h("td", {}, hms(c.categories[k] ?? 0))),
                      h("td", { class: "agri", "data-hours": c.agricultural_hours }, hms(c.agricultural_hours)),
                      h("td", { class: "local", "data-hours": c.local_hours }, hms(c.local_hours)),
                      h("td", {}, hms(c.total_hours)),
                    ),
                  ),
                ),
              ),
            ]
          : h("p", {}, t("noResults")),
      );
    } catch (e) {
      mount(out, h("p", { class: "error", role: "alert" }, `${t("error")}: ${(e as Error).message}`));
    }
    if (channel.value) {
      try {
        const a = await s.asRun(channel.value, f, u);
        mount(runs, asRunTable(a.entries, a.fallbacks));
      } catch (e) {
        mount(runs, h("p", { class: "error", role: "alert" }, `${t("error")}: ${(e as Error).message}`));
      }
    }
  };
  void api.channels().then((list) => {
    mount(channel, list.map((c) => h("option", { value: c.id }, `${c.name} (${c.slug})`)));
    void show();
  });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void show();
      },
    },
    h("label", { for: "rp-from" }, t("from")),
    from,
    h("label", { for: "rp-until" }, t("until")),
    until,
    h("label", { for: "rp-centre" }, t("centre")),
    centre,
    h("label", { for: "rp-channel" }, t("channel")),
    channel,
    h("button", { type: "submit", class: "primary" }, t("show")),
  );
  return {
    el: h(
      "section",
      { "aria-labelledby": "rp-title" },
      h("h1", { id: "rp-title" }, t("reportsNav")),
      form,
      h("h2", {}, t("airtime")),
      out,
      h("h2", {}, t("asRun")),
      runs,
    ),
  };
}
