import * as api from "../api";
import { h, mount } from "../dom";
import { CENTRES, centreName, t, word } from "../i18n";
import type { Page } from "../page";
import { errorBox, may } from "../words";

/** `now` as RFC 3339 in China Standard Time, to the second (CAP's form). */
function cst(now: Date): string {
  const d = new Date(now.getTime() + 8 * 3600_000);
  return `${d.toISOString().slice(0, 19)}+08:00`;
}

/** Area codes typed by the operator: six digits each. */
export function parseCodes(text: string): { codes: string[]; bad: string[] } {
  const parts = text.split(/[\s,，、;；]+/).filter((s) => s.length > 0);
  return { codes: parts.filter((s) => /^\d{6}$/.test(s)), bad: parts.filter((s) => !/^\d{6}$/.test(s)) };
}

/** Where each code reaches, as the operator reads it. */
function describe(code: string): string {
  if (code === "510400") return `${code} ${centreName(code)}（${t("wholeNetwork")}）`;
  return CENTRES[code] ? `${code} ${centreName(code)}` : `${code} (${t("unknownArea")})`;
}

/** Codes named in a CAP document's <geocode><value>. */
function capCodes(xml: string): string[] {
  return [...xml.matchAll(/<(?:\w+:)?value>\s*(\d{6})\s*<\/(?:\w+:)?value>/g)].map((m) => m[1] as string);
}

function select(id: string, options: string[], value: string, prefix: string): HTMLSelectElement {
  return h("select", { id }, options.map((o) => h("option", { value: o, selected: o === value }, word(prefix, o))));
}

/** The warning colour GB/T 35965.1 gives each CAP severity (红/橙/黄/蓝). */
export const SEVERITY_COLOUR: Record<string, string> = { Extreme: "红色", Severe: "橙色", Moderate: "黄色", Minor: "蓝色" };

/** The headline the form proposes: the event and the severity's colour (`暴雨橙色预警`). */
export function proposedHeadline(event: string, severity: string): string {
  return `${event.trim()}${SEVERITY_COLOUR[severity] ?? ""}预警`;
}

/** Compose (form or pasted CAP), preview areas, send with confirmation, receipt, alert list. */
export function emergencyPage(user: api.Principal | null = null): Page {
  let mode: "form" | "cap" = "form";
  // A centre sends for its own area; the city centre (and the network admin) for the network.
  const ownCentre = user?.centre ?? "510400";
  const drill = h("input", { id: "drill", type: "checkbox", checked: true });
  const banner = h("p", { class: "banner", role: "status", "aria-live": "polite" });
  const event = h("input", { id: "al-event", value: "暴雨" });
  const headline = h("input", { id: "al-headline", value: proposedHeadline("暴雨", "Severe") });
  const desc = h("textarea", { id: "al-description", rows: 3 }, "预计未来3小时有特大暴雨，请注意防范。");
  const instr = h("textarea", { id: "al-instruction", rows: 2 }, "远离河道，转移到安全地带。");
  const areas = h("input", { id: "al-areas", value: ownCentre, inputmode: "numeric" });
  const severity = select("al-severity", ["Extreme", "Severe", "Moderate", "Minor"], "Severe", "sev_");
  const urgency = select("al-urgency", ["Immediate", "Expected", "Future"], "Immediate", "urg_");
  const certainty = select("al-certainty", ["Observed", "Likely", "Possible"], "Likely", "cer_");
  const expires = h("input", { id: "al-expires", type: "number", min: 1, max: 1440, value: 30 });
  const cap = h("textarea", { id: "al-cap", rows: 14, spellcheck: false, "aria-describedby": "cap-hint" });
  const preview = h("ul", { class: "areas", id: "area-preview", "aria-live": "polite" });
  const result = h("div", { class: "receipt", id: "receipt", role: "status", "aria-live": "polite" });
  const list = h("div", { id: "alert-list" });

  const codes = () => (mode === "cap" ? { codes: capCodes(cap.value), bad: [] } : parseCodes(areas.value));
  const isDrill = () => (mode === "cap" ? /<status>\s*Exercise\s*<\/status>/.test(cap.value) : drill.checked);
  const refresh = () => {
    const { codes: c, bad } = codes();
    mount(preview, c.map((x) => h("li", {}, describe(x))), bad.map((x) => h("li", { class: "error" }, `${x} ✗`)));
    const d = isDrill();
    banner.textContent = d ? t("drillBanner") : t("actualBanner");
    banner.className = d ? "banner drill" : "banner actual";
    el.classList.toggle("drill-mode", d);
  };

  const document_ = (): { body: string; xml: boolean } => {
    if (mode === "cap") return { body: cap.value, xml: true };
    const now = new Date();
    const alert = {
      id: `KAPOK-UI-${now.getTime()}`,
      sender: `kapok-ui@${ownCentre}`,
      sent: cst(now),
      status: drill.checked ? "Exercise" : "Actual",
      msg_type: "Alert",
      severity: severity.value,
      urgency: urgency.value,
      certainty: certainty.value,
      event: event.value,
      headline: headline.value || undefined,
      description: desc.value || undefined,
      instruction: instr.value || undefined,
      areas: [{ desc: codes().codes.map(describe).join("、"), codes: codes().codes }],
      expires: cst(new Date(now.getTime() + Number(expires.value || 30) * 60_000)),
      language: "zh-CN",
    };
    return { body: JSON.stringify(alert), xml: false };
  };

  /** A Cancel message referencing `a` (CAP sender,identifier,sent). */
  const cancelDoc = (a: api.Tracked): string => {
    const now = new Date();
    return JSON.stringify({
      id: `KAPOK-UI-CANCEL-${now.getTime()}`,
      sender: `kapok-ui@${ownCentre}`,
      sent: cst(now),
      status: a.alert.status,
      msg_type: "Cancel",
      references: [{ sender: a.alert.sender, identifier: a.alert.id, sent: a.alert.sent }],
      severity: "Unknown",
      urgency: "Unknown",
      certainty: "Unknown",
      event: a.alert.event,
      // The areas of what it cancels: the desk checks the canceller may act for them.
      areas: a.alert.areas.map((x) => ({ desc: x.desc, codes: x.codes })),
      language: "zh-CN",
    });
  };

  const LIVE = ["received", "verified", "scheduled", "on_air"];
  /** Whether the signed-in role may cancel `a`: it may send for every area the alert names. */
  const mayCancel = (a: api.Tracked) => a.alert.areas.every((x) => x.codes.every((c) => may(user, "sendAlert", c)));

  /** The receipt's note, in the operator's words. */
  const noteText = (r: api.Receipt): string =>
    r.channels.length === 0 && r.outcome === "accepted" ? `${t("reachedNoChannel")}：${t("noChannelWhy")}` : word("out_", r.outcome);

  const loadList = async () => {
    try {
      const all = await api.alerts();
      if (all.length === 0) return mount(list, h("p", { class: "meta" }, t("noAlerts")));
      mount(
        list,
        h(
          "table",
          { class: "alerts" },
          h("caption", {}, t("alerts")),
          h(
            "thead",
            {},
            h("tr", {}, [t("sent"), t("event"), t("alertStatus"), t("areaCodes"), t("state"), t("actions")].map((x) => h("th", { scope: "col" }, x))),
          ),
          h(
            "tbody",
            {},
            all
              .slice()
              .reverse()
              .map((a) =>
                h(
                  "tr",
                  { class: a.alert.status === "Exercise" ? "drill" : "" },
                  h("td", {}, a.alert.sent),
                  h("td", {}, a.alert.headline ?? a.alert.event),
                  h("td", {}, word("status_", a.alert.status)),
                  h("td", {}, a.alert.areas.flatMap((x) => x.codes).join(", ")),
                  h("td", { class: `state-${a.state}`, "data-state": a.state }, word("st_", a.state)),
                  h(
                    "td",
                    {},
                    a.alert.msg_type !== "Cancel" && LIVE.includes(a.state) && mayCancel(a)
                      ? h(
                          "button",
                          {
                            type: "button",
                            class: "cancel-alert",
                            "aria-label": `${t("cancelAlert")}: ${a.alert.headline ?? a.alert.event}`,
                            onclick: () => {
                              if (!confirm(t("cancelConfirm"))) return;
                              void api
                                .sendAlert(cancelDoc(a), false)
                                .then(showReceipt)
                                .then(loadList)
                                .catch((e: Error) => mount(result, errorBox(e, t("refused"))));
                            },
                          },
                          t("cancelAlert"),
                        )
                      : null,
                  ),
                ),
              ),
          ),
        ),
      );
    } catch (e) {
      mount(list, errorBox(e));
    }
  };

  const showReceipt = (r: api.Receipt) =>
    mount(
      result,
      h("h2", {}, t("receipt")),
      r.note ? h("p", { class: "error", role: "alert", id: "receipt-note" }, noteText(r)) : null,
      (r.warnings ?? []).length > 0 ? h("p", { class: "error", role: "alert", id: "receipt-warning" }, t("colourMismatch")) : null,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("alertKey")),
        h("dd", { id: "receipt-key" }, r.key),
        h("dt", {}, t("outcome")),
        h("dd", { id: "receipt-outcome", "data-outcome": r.outcome }, word("out_", r.outcome)),
        h("dt", {}, t("state")),
        h("dd", {}, r.state ? word("st_", r.state) : "—"),
        h("dt", {}, t("channels")),
        h("dd", { id: "receipt-channels" }, r.channels.join(", ") || "—"),
      ),
      h(
        "ul",
        { id: "receipt-transitions" },
        (r.transitions ?? []).map((x) => h("li", { "data-to": x.to }, `${x.key}: ${x.from ? word("st_", x.from) : "—"} → ${word("st_", x.to)}`)),
      ),
    );

  const send = async () => {
    const doc = document_();
    mount(result, t("loading"));
    try {
      showReceipt(await api.sendAlert(doc.body, doc.xml));
    } catch (e) {
      const reasons = ((e as api.ApiError).body as { reasons?: Array<{ message: string; path: string }> } | undefined)
        ?.reasons;
      mount(
        result,
        h("h2", { class: "error" }, t("refused")),
        errorBox(e),
        reasons
          ? h(
              "details",
              { class: "detail" },
              h("summary", {}, `${t("findingsCount")}（${reasons.length}）`),
              h("ul", {}, reasons.map((r) => h("li", {}, h("code", {}, `${r.path}: ${r.message}`)))),
            )
          : null,
      );
    }
    await loadList();
    result.focus();
  };

  const dialogList = h("ul", {});
  const dialogBanner = h("p", { class: "banner" });
  const dialog = h(
    "dialog",
    { id: "confirm-dialog", "aria-labelledby": "confirm-title" },
    h("h2", { id: "confirm-title" }, t("confirmTitle")),
    dialogBanner,
    h("p", {}, t("confirmText")),
    dialogList,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "confirm-cancel", onclick: () => dialog.close() }, t("cancel")),
      h(
        "button",
        {
          type: "button",
          id: "confirm-send",
          class: "danger",
          onclick: () => {
            dialog.close();
            void send();
          },
        },
        t("confirm"),
      ),
    ),
  );

  const formFields = h(
    "fieldset",
    { id: "alert-form" },
    h("legend", {}, t("compose")),
    h("label", { class: "check", for: "drill" }, drill, t("drill")),
    h("label", { for: "al-event" }, t("event")),
    event,
    h("label", { for: "al-headline" }, t("headline")),
    headline,
    h("label", { for: "al-description" }, t("descriptionText")),
    desc,
    h("label", { for: "al-instruction" }, t("instruction")),
    instr,
    h("label", { for: "al-areas" }, t("areas")),
    areas,
    h("label", { for: "al-severity" }, t("severity")),
    severity,
    h("label", { for: "al-urgency" }, t("urgency")),
    urgency,
    h("label", { for: "al-certainty" }, t("certainty")),
    certainty,
    h("label", { for: "al-expires" }, t("expiresMin")),
    expires,
  );
  const capFields = h(
    "fieldset",
    { id: "cap-form", hidden: true },
    h("legend", {}, t("capXml")),
    h("label", { for: "al-cap", id: "cap-hint" }, t("pasteCap")),
    cap,
  );
  const tab = (m: "form" | "cap", label: string) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${m}`,
        "aria-selected": m === mode ? "true" : "false",
        onclick: (e: Event) => {
          mode = m;
          formFields.hidden = m !== "form";
          capFields.hidden = m !== "cap";
          for (const b of (e.currentTarget as HTMLElement).parentElement?.children ?? []) {
            b.setAttribute("aria-selected", b.id === `tab-${m}` ? "true" : "false");
          }
          refresh();
        },
      },
      label,
    );

  const form = h(
    "form",
    {
      class: "card compose",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const { codes: c, bad } = codes();
        if (c.length === 0 || bad.length > 0) {
          mount(result, h("p", { class: "error", role: "alert" }, `${t("areas")}: ${bad.join(", ") || "—"}`));
          return;
        }
        mount(dialogList, c.map((x) => h("li", {}, describe(x))));
        dialogBanner.textContent = isDrill() ? t("drillBanner") : t("actualBanner");
        dialogBanner.className = isDrill() ? "banner drill" : "banner actual";
        dialog.showModal();
      },
    },
    h("div", { role: "tablist", class: "tabs" }, tab("form", t("form")), tab("cap", t("pasteCap"))),
    formFields,
    capFields,
    h("h2", {}, t("areaPreview")),
    preview,
    h("button", { type: "submit", class: "danger", id: "send-alert" }, t("send")),
  );
  // The proposed headline follows the event and severity until the operator writes their own,
  // so the words never say 红色 while the slate draws orange.
  let headlineEdited = false;
  headline.addEventListener("input", () => {
    headlineEdited = headline.value !== proposedHeadline(event.value, severity.value);
  });
  const propose = () => {
    if (!headlineEdited) headline.value = proposedHeadline(event.value, severity.value);
  };
  event.addEventListener("input", propose);
  severity.addEventListener("change", propose);
  for (const input of [drill, areas, cap]) input.addEventListener("input", refresh);
  drill.addEventListener("change", refresh);

  const el = h(
    "section",
    { "aria-labelledby": "emergency-title", class: "emergency" },
    h("h1", { id: "emergency-title" }, t("emergency")),
    may(user, "sendAlert") ? [banner, form] : null,
    result,
    list,
    dialog,
  );
  result.tabIndex = -1;
  refresh();
  void loadList();
  const timer = setInterval(() => void loadList(), 5000);
  return { el, dispose: () => clearInterval(timer) };
}
