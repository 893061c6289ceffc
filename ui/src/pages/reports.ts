// Reports (#/reports): airtime per category per centre with the agricultural (涉农) and local
// programme hours, as a table and an inline-SVG chart; and one channel's as-run log.

import * as api from "../api";
import { stackedBars } from "../chart";
import { h, mount } from "../dom";
import { CENTRES, categoryName, centreName, t } from "../i18n";
import type { Page } from "../page";
import * as s from "../schedule";
import { asRunTable } from "./asrun";
import { currentUser, errorBox, hms as clock } from "../words";

/** Hours as HH:MM:SS: the one duration format of the reports. */
const hms = (hours: number) => clock(hours * 3600_000);

interface Producer {
  centre: string;
  categories: Record<string, number>;
  total_hours: number;
  agricultural_hours: number;
  /** Idents and public-service spots aired as fillers: apart, in no other figure. */
  filler_hours?: number;
  channels: Record<string, number>;
  programmes: Array<{ programme: string; title: string; category: string; channel: string; hours: number }>;
}

/** A CSV field, quoted when it must be (RFC 4180). */
const csvField = (v: string | number) => {
  const t = String(v);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/** Offers `rows` as a CSV file named `name` (UTF-8 with a BOM, so spreadsheets read the Chinese). */
function download(name: string, rows: Array<Array<string | number>>): void {
  const text = "\ufeff" + rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
  const a = h("a", { href: `data:text/csv;charset=utf-8,${encodeURIComponent(text)}`, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}
// The date fields are days in UTC+8 (as `range` reads them back), not UTC days: between 00:00
// and 08:00 in Panzhihua the UTC day is still yesterday and today's airtime would fall outside.
const dayText = (d: Date) => s.localDay(d);

export function reportsPage(): Page {
  const now = new Date();
  const from = h("input", { id: "rp-from", type: "date", value: dayText(new Date(now.getTime() - 6 * 86400_000)) });
  const until = h("input", { id: "rp-until", type: "date", value: dayText(now) });
  // A county's reader starts with its own centre: "what of ours aired, and where".
  const mine = currentUser()?.centre;
  const centre = h(
    "select",
    { id: "rp-centre" },
    h("option", { value: "" }, t("allCentres")),
    Object.keys(CENTRES).map((c) => h("option", { value: c, selected: c === mine && mine !== "510400" }, centreName(c))),
  );
  const channel = h("select", { id: "rp-channel" });
  const out = h("div", { id: "rp-airtime", "aria-live": "polite" });
  const byProducer = h("div", { id: "rp-producers", "aria-live": "polite" });
  let lastProducers: Producer[] = [];
  const channelNames = new Map<string, string>();
  const exportCsv = h(
    "button",
    {
      type: "button",
      id: "rp-csv",
      onclick: () =>
        download(`kapok-airtime-${from.value}-${until.value}.csv`, [
          [t("producer"), t("title"), t("airedOn"), t("category"), t("duration"), t("hours")],
          ...lastProducers.flatMap((c) =>
            c.programmes.map((p) => [
              centreName(c.centre),
              p.title,
              channelNames.get(p.channel) ?? p.channel,
              categoryName(p.category),
              hms(p.hours),
              p.hours.toFixed(4),
            ]),
          ),
        ]),
    },
    t("exportCsv"),
  );
  const runs = h("div", { id: "rp-asrun", "aria-live": "polite" });
  // Both dates count whole days (UTC+8): "until" is the last day shown.
  const range = (): [Date, Date] => [
    new Date(`${from.value}T00:00:00+08:00`),
    new Date(new Date(`${until.value}T00:00:00+08:00`).getTime() + 86400_000),
  ];
  const showProducers = async (f: Date, u: Date) => {
    const p = new URLSearchParams({ from: f.toISOString(), until: u.toISOString() });
    if (centre.value) p.set("centre", centre.value);
    try {
      const r = await api.request<{ centres: Producer[] }>("GET", `/api/reports/producers?${p}`);
      lastProducers = r.centres;
      exportCsv.hidden = r.centres.length === 0;
      mount(
        byProducer,
        r.centres.length
          ? h(
              "table",
              { class: "airtime producers" },
              h("caption", { class: "visually-hidden" }, t("byProducer")),
              h("thead", {}, h("tr", {}, [t("producer"), t("title"), t("airedOn"), t("category"), t("duration")].map((x) => h("th", { scope: "col" }, x)))),
              h(
                "tbody",
                {},
                r.centres.flatMap((c) => [
                  ...c.programmes.map((pr) =>
                    h(
                      "tr",
                      { "data-centre": c.centre, "data-channel": pr.channel },
                      h("td", {}, centreName(c.centre)),
                      h("td", {}, h("a", { href: `#/programme/${encodeURIComponent(pr.programme)}` }, pr.title)),
                      h("td", {}, channelNames.get(pr.channel) ?? pr.channel),
                      h("td", {}, categoryName(pr.category)),
                      h("td", { "data-hours": pr.hours }, hms(pr.hours)),
                    ),
                  ),
                  h(
                    "tr",
                    { class: "subtotal", "data-centre-total": c.centre, "data-hours": c.total_hours },
                    h("th", { scope: "row" }, `${centreName(c.centre)} ${t("total")}`),
                    h("td", {}, ""),
                    h("td", {}, Object.keys(c.channels).map((k) => channelNames.get(k) ?? k).join("、")),
                    h("td", {}, Object.entries(c.categories).map(([k, v]) => `${categoryName(k)} ${hms(v)}`).join("；")),
                    h("td", { class: "total" }, hms(c.total_hours)),
                  ),
                  c.filler_hours
                    ? h(
                        "tr",
                        { class: "fillers", "data-centre-fillers": c.centre, "data-hours": c.filler_hours },
                        h("th", { scope: "row" }, centreName(c.centre)),
                        h("td", { colspan: 3 }, t("fillerAirtime")),
                        h("td", {}, hms(c.filler_hours)),
                      )
                    : null,
                ]),
              ),
            )
          : h("p", { class: "meta" }, t("noAired")),
      );
    } catch (e) {
      mount(byProducer, errorBox(e));
    }
  };
  const show = async () => {
    const [f, u0] = range();
    // Only what aired: the window ends now at the latest (tomorrow's day is not counted).
    const u = new Date(Math.min(u0.getTime(), Date.now()));
    await showProducers(f, u);
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
          : h("p", {}, t("noAired")),
      );
    } catch (e) {
      mount(out, errorBox(e));
    }
    if (channel.value) {
      try {
        const a = await s.asRun(channel.value, f, u);
        mount(runs, asRunTable(a.entries, a.fallbacks));
      } catch (e) {
        mount(runs, errorBox(e));
      }
    }
  };
  void api.channels().then((list) => {
    for (const c of list) channelNames.set(c.slug, c.name);
    mount(channel, list.map((c) => h("option", { value: c.id }, c.name)));
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
      h("h2", {}, t("byProducer"), " ", exportCsv),
      byProducer,
      h("h2", {}, t("scheduledAirtime")),
      out,
      h("h2", {}, t("asRun")),
      runs,
    ),
  };
}
