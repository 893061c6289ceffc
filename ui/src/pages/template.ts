// The template editor (#/channel/<id>/template): the channel's day in blocks (start, length,
// category rule, filler or live relay), filler categories and quotas as a form; clocks,
// weekday grids and the other rules through the JSON underneath, which the form keeps; a
// preview generates a day from the unsaved template; saving shows every problem at once.

import * as api from "../api";
import { h, mount } from "../dom";
import { CATEGORIES, categoryName, t } from "../i18n";
import { errorText } from "../words";
import type { Page } from "../page";
import * as s from "../schedule";
import { strip } from "./timeline";
import "../schedule.css";

type Json = Record<string, unknown>;

interface BlockForm {
  start: string;
  length: string;
  type: "category" | "filler" | "live";
  label: string;
  categories: string[];
  own_centre: boolean;
  separation: number;
  relay: string;
  /** Fields of the block the form does not edit (tags, centres, …), kept as they were. */
  rest: Json;
}

interface QuotaForm {
  name: string;
  category: string;
  from: string;
  until: string;
  minutes: number;
}

const hm = (v: unknown, dflt: string) => (typeof v === "string" ? v.slice(0, 5) : dflt);

function blockOf(b: Json): BlockForm {
  const filter = (b.filter ?? {}) as Json;
  const type = b.type === "filler" || b.type === "live" ? b.type : "category";
  const { start, length, type: _t, label, filter: _f, uri: _u, title: _ti, programme_separation_hours, ...rest } = b;
  return {
    start: hm(start, "06:00"),
    length: hm(length, "01:00"),
    type,
    label: typeof label === "string" ? label : "",
    categories: Array.isArray(filter.categories) ? (filter.categories as string[]) : [],
    own_centre: filter.own_centre === true,
    separation: typeof programme_separation_hours === "number" ? programme_separation_hours : 24,
    relay: typeof b.uri === "string" ? b.uri : "",
    rest: { ...rest, _filter: filter },
  };
}

function blockJson(b: BlockForm): Json {
  const { _filter, ...rest } = b.rest as Json & { _filter?: Json };
  const base: Json = { ...rest, start: b.start, length: b.length, type: b.type };
  if (b.label) base.label = b.label;
  if (b.type === "category") {
    base.filter = { ...(_filter ?? {}), categories: b.categories, own_centre: b.own_centre };
    base.programme_separation_hours = b.separation;
  } else {
    delete base.series_separation_hours;
    delete base.own_centre_min_percent;
  }
  if (b.type === "live") {
    base.uri = b.relay;
    base.title = b.label || b.relay;
  }
  return base;
}

function quotaOf(q: Json): QuotaForm {
  const filter = (q.filter ?? {}) as Json;
  const min = (q.min ?? {}) as Json;
  return {
    name: typeof q.name === "string" ? q.name : "",
    category: Array.isArray(filter.categories) ? String((filter.categories as string[])[0] ?? "涉农") : "涉农",
    from: hm(q.from, "06:00"),
    until: hm(q.until, "22:00"),
    minutes: typeof min.minutes === "number" ? min.minutes : 30,
  };
}

const quotaJson = (q: QuotaForm): Json => ({
  name: q.name || `${q.category} ≥ ${q.minutes}`,
  filter: { categories: [q.category] },
  from: q.from,
  until: q.until,
  min: { minutes: q.minutes },
});

export function templatePage(channelId: string): Page {
  let doc: Json = { name: "", week: { default: { blocks: [] } }, fillers: { categories: ["台标宣传"] } };
  let blocks: BlockForm[] = [];
  let quotas: QuotaForm[] = [];
  let fillerCats: string[] = [];
  let relays: s.Relay[] = [];
  let chan: api.Channel | undefined;
  const title = h("h1", { id: "tp-title" }, t("templateTitle"));
  const status = h("p", { class: "meta", role: "status", id: "tp-status", "aria-live": "polite" });
  const problems = h("div", { id: "tp-problems", role: "alert" });
  const name = h("input", { id: "tp-name", type: "text", size: 30 });
  const blockRows = h("tbody", {});
  const quotaRows = h("tbody", {});
  const fillerBox = h("fieldset", { class: "cats", id: "tp-fillers" });
  const json = h("textarea", { id: "tp-json", spellcheck: "false" });
  const preview = h("section", { class: "card preview", id: "tp-preview", "aria-label": t("previewSummary") });
  const pdate = h("input", { id: "tp-date", type: "date" });
  const seed = h("input", { id: "tp-seed", type: "number", value: "1", min: "0", size: 4 });

  const catBoxes = (chosen: string[], idp: string, onChange: (v: string[]) => void) =>
    h(
      "fieldset",
      { class: "cats" },
      CATEGORIES.map((c) => {
        const box = h("input", { type: "checkbox", id: `${idp}-${c.value}`, value: c.value, checked: chosen.includes(c.value) });
        box.addEventListener("change", () => onChange(box.checked ? [...chosen, c.value] : chosen.filter((x) => x !== c.value)));
        return h("label", { for: `${idp}-${c.value}` }, box, ` ${categoryName(c.value)}`);
      }),
    );

  /** The template as the form says (the JSON's other parts kept). */
  const current = (): Json => {
    const week = { ...((doc.week ?? {}) as Json) };
    week.default = { ...((week.default ?? {}) as Json), blocks: blocks.map(blockJson) };
    return { ...doc, name: name.value || "模板", week, quotas: quotas.map(quotaJson), fillers: { ...((doc.fillers ?? {}) as Json), categories: fillerCats } };
  };
  const syncJson = () => {
    json.value = JSON.stringify(current(), null, 2);
  };

  const input = (value: string, id: string, onInput: (v: string) => void, attrs: Record<string, string> = {}) => {
    const el = h("input", { type: "text", id, value, ...attrs });
    el.addEventListener("change", () => {
      onInput(el.value);
      syncJson();
    });
    return el;
  };

  const drawBlocks = () => {
    mount(
      blockRows,
      blocks.map((b, i) => {
        const type = h(
          "select",
          { id: `tb-type-${i}` },
          (["category", "filler", "live"] as const).map((k) =>
            h("option", { value: k, selected: b.type === k }, t(k === "category" ? "blockCategory" : k === "filler" ? "blockFiller" : "blockLive")),
          ),
        );
        type.addEventListener("change", () => {
          b.type = type.value as BlockForm["type"];
          drawBlocks();
          syncJson();
        });
        const own = h("input", { type: "checkbox", id: `tb-own-${i}`, checked: b.own_centre });
        own.addEventListener("change", () => {
          b.own_centre = own.checked;
          syncJson();
        });
        let what: HTMLElement;
        if (b.type === "category") {
          what = h(
            "div",
            {},
            catBoxes(b.categories, `tb-cat-${i}`, (v) => {
              b.categories = v;
              drawBlocks();
              syncJson();
            }),
            h("label", { for: `tb-own-${i}` }, own, ` ${t("blockOwnCentre")}`),
            " ",
            h("label", { for: `tb-sep-${i}` }, t("separationHours")),
            input(String(b.separation), `tb-sep-${i}`, (v) => (b.separation = Math.max(0, Number(v) || 0)), { size: "3" }),
          );
        } else if (b.type === "live") {
          const sel = h(
            "select",
            { id: `tb-relay-${i}` },
            relays.length ? relays.map((r) => h("option", { value: r.name, selected: r.name === b.relay || r.uri === b.relay }, r.name)) : h("option", { value: "" }, t("noRelays")),
          );
          if (!b.relay && relays[0]) b.relay = relays[0].name;
          sel.addEventListener("change", () => {
            b.relay = sel.value;
            syncJson();
          });
          what = h("div", {}, h("label", { for: `tb-relay-${i}` }, t("relayChoice")), " ", sel);
        } else {
          what = h("span", { class: "meta" }, t("blockFiller"));
        }
        return h(
          "tr",
          { "data-block": i },
          h("td", {}, input(b.start, `tb-start-${i}`, (v) => (b.start = v), { size: "5", "aria-label": t("blockStart") })),
          h("td", {}, input(b.length, `tb-len-${i}`, (v) => (b.length = v), { size: "5", "aria-label": t("blockLength") })),
          h("td", {}, type),
          h("td", {}, input(b.label, `tb-label-${i}`, (v) => (b.label = v), { "aria-label": t("blockLabel") })),
          h("td", {}, what),
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "danger",
                onclick: () => {
                  blocks.splice(i, 1);
                  drawBlocks();
                  syncJson();
                },
              },
              t("removeBlock"),
            ),
          ),
        );
      }),
    );
  };

  const drawQuotas = () => {
    mount(
      quotaRows,
      quotas.map((q, i) => {
        const cat = h("select", { id: `tq-cat-${i}` }, CATEGORIES.map((c) => h("option", { value: c.value, selected: q.category === c.value }, categoryName(c.value))));
        cat.addEventListener("change", () => {
          q.category = cat.value;
          syncJson();
        });
        return h(
          "tr",
          {},
          h("td", {}, input(q.name, `tq-name-${i}`, (v) => (q.name = v), { "aria-label": t("quotaName") })),
          h("td", {}, cat),
          h("td", {}, input(q.from, `tq-from-${i}`, (v) => (q.from = v), { size: "5", "aria-label": t("quotaFrom") })),
          h("td", {}, input(q.until, `tq-until-${i}`, (v) => (q.until = v), { size: "5", "aria-label": t("quotaUntil") })),
          h("td", {}, input(String(q.minutes), `tq-min-${i}`, (v) => (q.minutes = Math.max(0, Number(v) || 0)), { size: "4", "aria-label": t("quotaMinutes") })),
          h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "danger remove-quota",
                onclick: () => {
                  quotas.splice(i, 1);
                  drawQuotas();
                  syncJson();
                },
              },
              t("removeBlock"),
            ),
          ),
        );
      }),
    );
  };

  /** Fills the form from a template document. */
  const fill = (d: Json) => {
    doc = d;
    name.value = typeof d.name === "string" ? d.name : "";
    const week = (d.week ?? {}) as Json;
    const def = (week.default ?? {}) as Json;
    blocks = (Array.isArray(def.blocks) ? (def.blocks as Json[]) : []).map(blockOf);
    quotas = (Array.isArray(d.quotas) ? (d.quotas as Json[]) : []).map(quotaOf);
    const f = (d.fillers ?? {}) as Json;
    fillerCats = Array.isArray(f.categories) ? (f.categories as string[]) : ["台标宣传"];
    mount(fillerBox, catBoxes(fillerCats, "tf", (v) => {
      fillerCats = v;
      fill(current());
    }));
    drawBlocks();
    drawQuotas();
    syncJson();
  };

  const showProblems = (e: unknown) => {
    if (e instanceof api.ApiError && e.code === "invalid_template") {
      const ps = ((e.body as { problems?: s.Problem[] }).problems ?? []) as s.Problem[];
      mount(
        problems,
        h("p", { class: "error" }, `${t("templateProblems")}: ${ps.length}`),
        h("ul", { class: "problems" }, ps.map((p) => h("li", { "data-code": p.code }, s.problemText(p)))),
      );
    } else {
      mount(problems, h("p", { class: "error" }, `${t("error")}: ${s.refusalText(e, errorText)}`));
    }
  };

  const runPreview = async () => {
    mount(problems);
    status.textContent = t("loading");
    try {
      const r = await s.previewTemplate(channelId, current(), pdate.value, Number(seed.value) || 0);
      const p = r.playlist;
      const errors = r.findings.filter((f) => f.severity === "error");
      // One line per run of the same programme, at most 200 lines.
      const lines: HTMLElement[] = [];
      let i = 0;
      while (i < p.items.length && lines.length < 200) {
        const it = p.items[i] as s.Item;
        let j = i + 1;
        while (j < p.items.length && (p.items[j] as s.Item).title === it.title) j++;
        lines.push(h("li", { class: it.kind }, `${s.clockOf(p, it.start)} ${it.title}${j - i > 1 ? ` ×${j - i}` : ""} · ${s.phrase("why", it.reason, it.why ?? "")}`));
        i = j;
      }
      mount(
        preview,
        h("h2", {}, `${t("previewSummary")} · ${pdate.value} · ${p.items.length} ${t("itemsCount")}`),
        strip(p, r.findings, () => undefined),
        h("p", { class: errors.length ? "error" : "meta", id: "tp-preview-summary" }, `${t("findingsCount")}: ${errors.length} ${t("errorsWord")}, ${r.findings.length - errors.length} ${t("warningsWord")}`),
        r.findings.length ? h("ul", { class: "findings" }, r.findings.slice(0, 10).map((f) => h("li", { class: f.severity, "data-code": f.code }, s.findingText(f)))) : null,
        r.exceptions.length
          ? h("details", {}, h("summary", {}, `${t("ruleBreaks")}: ${r.exceptions.length}`), h("ul", { id: "tp-breaks" }, r.exceptions.map((x) => h("li", { "data-rule": x.rule }, s.ruleBreakText(x)))))
          : null,
        h("ol", { id: "tp-preview-items" }, lines),
      );
      status.textContent = "";
    } catch (e) {
      status.textContent = "";
      showProblems(e);
    }
  };

  const save = async () => {
    mount(problems);
    try {
      const r = await s.putTemplate(channelId, current());
      status.textContent = `${t("templateSaved")} (${t("version")} ${r.version})`;
    } catch (e) {
      showProblems(e);
    }
  };

  const applyJson = () => {
    try {
      fill(JSON.parse(json.value) as Json);
      mount(problems);
    } catch (e) {
      mount(problems, h("p", { class: "error" }, `${t("error")}: ${(e as Error).message}`));
    }
  };

  const back = h("a", { href: `#/channel/${encodeURIComponent(channelId)}/day/today`, id: "tp-back" }, t("backToDay"));
  const el = h(
    "section",
    { class: "template", "aria-labelledby": "tp-title" },
    title,
    h("p", {}, back),
    status,
    problems,
    h("p", {}, h("label", { for: "tp-name" }, t("templateName")), " ", name),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("templateBlocks")),
      h(
        "table",
        { class: "blocks", id: "tp-blocks" },
        h("thead", {}, h("tr", {}, [t("blockStart"), t("blockLength"), t("blockType"), t("blockLabel"), t("blockCategories"), ""].map((x) => h("th", {}, x)))),
        blockRows,
      ),
      h(
        "button",
        {
          type: "button",
          id: "tp-add-block",
          onclick: () => {
            const last = blocks[blocks.length - 1];
            blocks.push(blockOf({ start: last ? last.start : "06:00", length: "01:00", type: "category", filter: { categories: ["涉农"] } }));
            drawBlocks();
            syncJson();
          },
        },
        t("addBlock"),
      ),
    ),
    h("section", { class: "card" }, h("h2", {}, t("fillerCategories")), fillerBox),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("quotas")),
      h("table", { class: "blocks" }, h("thead", {}, h("tr", {}, [t("quotaName"), t("category"), t("quotaFrom"), t("quotaUntil"), t("quotaMinutes"), ""].map((x) => h("th", {}, x)))), quotaRows),
      h(
        "button",
        {
          type: "button",
          id: "tp-add-quota",
          onclick: () => {
            quotas.push({ name: "", category: "涉农", from: "06:00", until: "22:00", minutes: 30 });
            drawQuotas();
            syncJson();
          },
        },
        t("addQuota"),
      ),
    ),
    h("details", { class: "card" }, h("summary", {}, t("advancedJson")), json, h("button", { type: "button", onclick: applyJson }, t("applyJson"))),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "tp-date" }, t("date")),
      pdate,
      h("label", { for: "tp-seed" }, t("seed")),
      seed,
      h("button", { type: "button", id: "tp-preview-go", onclick: () => void runPreview() }, t("previewDay")),
      h("button", { type: "button", id: "tp-save", class: "primary", onclick: () => void save() }, t("saveTemplate")),
    ),
    preview,
  );
  void (async () => {
    chan = (await api.channels().catch(() => [])).find((c) => c.id === channelId);
    title.textContent = `${t("templateTitle")} · ${chan?.name ?? channelId}`;
    pdate.value = s.broadcastDay(new Date(Date.now() + 86_400_000), chan?.day_start ?? "06:00");
    relays = chan ? await s.relays(chan.centre).catch(() => []) : [];
    try {
      fill((await s.template(channelId)).template);
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) {
        status.textContent = t("noTemplate");
        fill(doc);
      } else showProblems(e);
    }
  })();
  return { el };
}
