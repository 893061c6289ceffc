// The as-run table shared by the monitor and the reports: what aired, when, and the
// fallback alarms (outcome `fallback`: the engine filled) highlighted.

import { h } from "../dom";
import { t } from "../i18n";
import { localClock, localDay, type AsRun } from "../schedule";
import { hms, outcomeText } from "../words";

/** Month, day and time to the second in UTC+8, as the monitor's now/next. */
const time = (s: string | null | undefined) => (s ? `${localDay(new Date(s)).slice(5)} ${localClock(new Date(s))}` : "—");

/** What aired when the record has no title: the slate by name; never the engine's file path. */
const what = (e: AsRun) => e.title ?? (e.source === "slate" ? t("kind_slate") : "—");

/** The planned start: the playlist's wall time when the engine recorded it, else the scheduled start. */
function planned(e: AsRun): string | null {
  const d = (e as { detail?: { scheduled_wall?: string | null } }).detail;
  return d?.scheduled_wall ?? e.scheduled_start;
}

/** The planned time, with how late (or early) the item actually started when it was. */
function plannedCell(e: AsRun): string {
  const p = planned(e);
  if (!p || !e.actual_start) return time(p);
  const late = Math.round((new Date(e.actual_start).getTime() - new Date(p).getTime()) / 1000);
  return Math.abs(late) >= 1 ? `${time(p)}（${late > 0 ? "+" : ""}${late} ${t("secondsUnit")}）` : time(p);
}

export function asRunTable(entries: AsRun[], fallbacks: number, limit = 500): HTMLElement {
  if (!entries.length) return h("p", { class: "meta" }, t("noAsRun"));
  const shown = entries.slice(-limit).reverse();
  return h(
    "div",
    {},
    fallbacks ? h("p", { class: "alarm", role: "alert" }, `${t("fallbackAlarm")}: ${fallbacks}`) : null,
    h(
      "table",
      { class: "asrun" },
      h("thead", {}, h("tr", {}, [t("actual"), t("scheduled"), t("title"), t("duration"), t("outcomeWord")].map((x) => h("th", { scope: "col" }, x)))),
      h(
        "tbody",
        {},
        shown.map((e) =>
          h(
            "tr",
            { class: e.outcome === "fallback" ? "fallback" : "" },
            h("td", {}, time(e.actual_start)),
            h("td", { class: "planned" }, plannedCell(e)),
            h("td", {}, what(e)),
            h("td", {}, hms(e.duration_ms)),
            h("td", { "data-outcome": e.outcome }, outcomeText(e.outcome, e.reason)),
          ),
        ),
      ),
    ),
  );
}
