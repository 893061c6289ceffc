import * as api from "../api";
import { duration, h, mount } from "../dom";
import { categoryName, centreName, languageName, statusName, t, word } from "../i18n";
import type { Page } from "../page";
import { failureBox } from "../failure";
import { currentUser, errorBox, may, qcWord, timecode } from "../words";
import { auditInto, editForm } from "./programme-edit";

interface Loud {
  integrated_lufs?: number | null;
  true_peak_dbtp?: number | null;
  range_lu?: number | null;
}

interface Qc {
  verdict?: string;
  findings?: Array<{ check: string; severity: string; message: string; start_tc?: string | null; start_s?: number | null }>;
}

const fmt = (v: number | null | undefined, unit: string) => (v == null ? "—" : `${v.toFixed(1)} ${unit}`);

function loudnessTable(l: unknown): HTMLElement {
  const all = l as {
    source?: Loud | null;
    house?: Loud | null;
    target?: { integrated_lufs?: number | null; true_peak_ceiling_dbtp?: number | null } | null;
  } | null;
  if (!all || (!all.source && !all.house)) return h("p", { class: "meta" }, t("noLoudness"));
  const target = all.target?.integrated_lufs;
  const rows = (["source", "house"] as const)
    .filter((k) => all[k])
    .map((k) => {
      const m = all[k] as Loud;
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, k === "source" ? t("sourceFile") : t("houseFile")),
        h("td", {}, fmt(m.integrated_lufs, "LUFS")),
        h("td", {}, fmt(m.true_peak_dbtp, "dBTP")),
        h("td", {}, fmt(m.range_lu, "LU")),
      );
    });
  return h(
    "table",
    { class: "loudness" },
    h("caption", {}, target == null ? t("loudness") : `${t("loudness")} (${t("loudnessTarget")} ${target.toFixed(1)} LKFS)`),
    h(
      "thead",
      {},
      h("tr", {}, h("td", {}), h("th", { scope: "col" }, t("integrated")), h("th", { scope: "col" }, t("truePeak")), h("th", { scope: "col" }, t("range"))),
    ),
    h("tbody", {}, rows),
  );
}

function qcBlock(q: unknown): HTMLElement {
  const qc = q as Qc | null;
  if (!qc || !qc.verdict) return h("p", { class: "meta" }, t("qcNone"));
  const label = qc.verdict === "fail" ? t("qcFail") : `${t("qcPass")}${qc.verdict === "warn" ? t("qcWarn") : ""}`;
  return h(
    "div",
    {},
    h("p", { class: `verdict ${qc.verdict}` }, `${t("qc")}: ${label}`),
    h(
      "ul",
      {},
      (qc.findings ?? []).map((f) =>
        h(
          "li",
          { class: `finding ${f.severity}` },
          `【${word("qcsev_", f.severity)}】${qcWord(f.check)}`,
          f.start_tc ? ` · ${t("atTime")} ${f.start_tc}` : f.start_s != null ? ` · ${t("atTime")} ${timecode(f.start_s * 25)}` : "",
          h("details", { class: "detail" }, h("summary", {}, t("detail")), h("code", {}, f.message)),
        ),
      ),
    ),
  );
}

/** A programme: the proxy in a player, metadata, QC verdict and loudness figures. */
export function programmePage(id: string): Page {
  const body = h("div", { class: "detail" }, t("loading"));
  const el = h(
    "section",
    { "aria-labelledby": "programme-title" },
    h("a", { href: "#/catalog", class: "back" }, `← ${t("back")}`),
    body,
  );
  const audit = h("div", { class: "audit-box" });
  const show = (p: api.Programme, assets: api.Asset[], note = "") => {
      const media = assets.find((a) => a.kind === "proxy") ?? assets.find((a) => a.kind === "house");
      const poster = assets.find((a) => a.kind === "poster");
      const thumbs = assets.filter((a) => a.kind === "thumbnail" || a.kind === "thumbnails" || a.kind === "strip");
      const u = currentUser();
      const mine = may(u, "writeProgramme", p.centre);
      const failedBox =
        p.status === "failed"
          ? failureBox(
              p,
              {
                retried: (np) => show(np, assets, t("retried")),
                deleted: () => {
                  location.hash = "#/catalog";
                },
              },
              "pg-failed",
            )
          : null;
      const player = media
        ? h("video", {
            id: "player",
            controls: true,
            preload: "metadata",
            src: api.assetUrl(media.id),
            poster: poster ? api.assetUrl(poster.id) : undefined,
            "aria-label": `${t("preview")}: ${p.title}`,
          })
        : h("p", { class: "meta" }, t("noProxy"));
      mount(
        body,
        h("h1", { id: "programme-title" }, p.title),
        failedBox,
        player,
        thumbs.length
          ? h(
              "figure",
              { class: "thumbs", id: "pg-thumbs" },
              thumbs.map((a) => h("img", { src: api.assetUrl(a.id), alt: `${t("thumbnails")}: ${p.title}`, loading: "lazy" })),
              h("figcaption", {}, t("thumbnails")),
            )
          : null,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, t("category")),
          h("dd", {}, categoryName(p.category)),
          h("dt", {}, t("langField")),
          h("dd", { id: "pg-language", "data-language": p.language }, languageName(p.language)),
          h("dt", {}, t("centre")),
          h("dd", {}, centreName(p.centre)),
          h("dt", {}, t("duration")),
          h("dd", {}, duration(p.duration_ms)),
          h("dt", {}, t("status")),
          h("dd", {}, statusName(p.status)),
          h("dt", {}, t("description")),
          h("dd", {}, p.description || "—"),
        ),
        h("h2", {}, t("qc")),
        qcBlock(p.qc),
        loudnessTable(p.loudness),
        mine ? editForm(p, (np, msg) => show(np, assets, msg), note) : note ? h("p", { role: "status" }, note) : null,
        audit,
      );
      void auditInto(p.id, audit);
  };
  Promise.all([api.programme(id), api.assets(id).catch(() => [] as api.Asset[])])
    .then(([p, assets]) => show(p, assets))
    .catch((e: Error) => mount(body, errorBox(e)));
  return { el };
}
