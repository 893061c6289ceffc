// The week view (#/channel/<id>/week): a channel's seven days from today's broadcast day as
// columns, each with its state (empty, draft, published, changed since publishing), items,
// fill, gaps and findings, a link into the day, and copying a day to the rest of the week.

import * as api from "../api";
import { h, mount } from "../dom";
import { lang, t } from "../i18n";
import { errorText } from "../words";
import type { Page } from "../page";
import * as s from "../schedule";
import "../schedule.css";

const weekday = (date: string) =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString(lang() === "en" ? "en-GB" : "zh-CN", { weekday: "short", timeZone: "UTC" });

export function weekPage(channelId: string): Page {
  const title = h("h1", { id: "wk-title" }, t("weekTitle"));
  const status = h("p", { class: "meta", role: "status", id: "wk-status" });
  const grid = h("div", { class: "week", id: "wk-days" });
  const dayLink = (date: string) => `#/channel/${encodeURIComponent(channelId)}/day/${date}`;

  const copyRest = async (days: s.DaySummary[], i: number) => {
    const from = days[i] as s.DaySummary;
    const to = days.slice(i + 1).map((d) => d.date);
    if (!to.length) return;
    if (!window.confirm(t("copyToRestConfirm").replace("{date}", from.date).replace("{n}", String(to.length)))) return;
    status.textContent = t("loading");
    const r = await s.copyDay(channelId, from.date, to);
    await load(`${t("copyDay")}: ${r.length} · ${r.reduce((a, x) => a + x.errors, 0)} ${t("errorsWord")}`);
  };

  const load = async (msg = "") => {
    status.textContent = t("loading");
    const days = await s.week(channelId);
    mount(
      grid,
      days.map((d, i) => {
        const pct = d.day_secs ? Math.round((100 * d.filled_secs) / d.day_secs) : 0;
        const bad = d.errors > 0;
        return h(
          "article",
          { class: `card week-day ${d.state}${bad ? " has-error" : ""}`, "data-date": d.date, "data-state": d.state },
          h("h2", {}, h("a", { href: dayLink(d.date), class: "open-day" }, `${d.date.slice(5)} ${weekday(d.date)}`)),
          h("p", { class: `state ${d.state}` }, t(`state_${d.state}` as Parameters<typeof t>[0])),
          d.state === "empty"
            ? h("p", { class: "meta" }, t("weekNoDay"))
            : h(
                "ul",
                { class: "meta" },
                h("li", { class: "items" }, `${d.items} ${t("itemsCount")}`),
                h("li", { class: "fill" }, `${t("weekFill")} ${pct}%`),
                h("li", { class: bad ? "error" : "" }, `${d.errors} ${t("errorsWord")} · ${d.warnings} ${t("warningsWord")}`),
                d.gaps ? h("li", { class: "error gaps" }, `${t("weekGaps")} ${d.gaps}`) : null,
                d.published_version != null ? h("li", {}, `${t("publishedVersion")} ${d.published_version}`) : null,
              ),
          h(
            "div",
            { class: "actions" },
            h("a", { href: dayLink(d.date), class: "button" }, t("weekOpen")),
            d.state !== "empty" && i < days.length - 1
              ? h("button", { type: "button", class: "copy-rest", onclick: () => void copyRest(days, i).catch(failed) }, t("copyToRest"))
              : null,
          ),
        );
      }),
    );
    status.textContent = msg;
  };
  const failed = (e: unknown) => {
    status.textContent = `${t("error")}: ${s.refusalText(e, errorText)}`;
  };
  const el = h(
    "section",
    { class: "week-view", "aria-labelledby": "wk-title" },
    title,
    h("p", {}, h("a", { href: dayLink("today"), id: "wk-today" }, t("backToDay"))),
    status,
    grid,
  );
  void (async () => {
    const chan = (await api.channels().catch(() => [])).find((c) => c.id === channelId);
    title.textContent = `${t("weekTitle")} · ${chan?.name ?? channelId}`;
    await load();
  })().catch(failed);
  return { el };
}
