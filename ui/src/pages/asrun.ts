// The as-run table shared by the monitor and the reports: what aired, when, and the
// fallback alarms (outcome `fallback`: the engine filled) highlighted.

import { h } from "../dom";
import { lang, t } from "../i18n";
import type { AsRun } from "../schedule";
import { hms, outcomeText } from "../words";

const time = (s: string | null | undefined) =>
  s ? new Date(s).toLocaleString(lang(), { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }) : "—";

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
            h("td", {}, e.title ?? e.source ?? "—"),
            h("td", {}, hms(e.duration_ms)),
            h("td", { "data-outcome": e.outcome }, outcomeText(e.outcome, e.reason)),
          ),
        ),
      ),
    ),
  );
}
