// The as-run table shared by the monitor and the reports: what aired, when, and the
// fallback alarms (outcome `fallback`: the engine filled) highlighted.

import { duration, h } from "../dom";
import { t } from "../i18n";
import type { AsRun } from "../schedule";

const time = (s: string | null) => (s ? new Date(s).toLocaleString() : "—");

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
            h("td", {}, time(e.scheduled_start)),
            h("td", {}, e.title ?? e.source ?? "—"),
            h("td", {}, duration(e.duration_ms)),
            h("td", {}, e.reason ? `${e.outcome} (${e.reason})` : e.outcome),
          ),
        ),
      ),
    ),
  );
}
