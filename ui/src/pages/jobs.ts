// Ingest jobs (#/jobs): the centre's jobs (GET /api/jobs), updated live from the server's
// event stream (`job.*` events of /api/events).

import { request } from "../api";
import { h, mount } from "../dom";
import { t } from "../i18n";
import type { Page } from "../page";

interface Job {
  id: string;
  kind: string;
  status: string;
  progress: unknown;
  attempts: number;
  last_error: string | null;
  updated_at?: string;
}

/** A percentage from a job's progress document (`{percent}`, `{fraction}` or `{done,total}`), or its text. */
export function progressText(p: unknown): { pct: number | null; text: string } {
  if (p == null) return { pct: null, text: "—" };
  if (typeof p === "number") return { pct: p <= 1 ? p * 100 : p, text: "" };
  if (typeof p === "object") {
    const o = p as Record<string, unknown>;
    const pct =
      typeof o.percent === "number"
        ? o.percent
        : typeof o.fraction === "number"
          ? o.fraction * 100
          : typeof o.done === "number" && typeof o.total === "number" && o.total > 0
            ? (100 * o.done) / o.total
            : null;
    const stage = typeof o.stage === "string" ? o.stage : "";
    return { pct, text: stage || (pct == null ? JSON.stringify(o) : "") };
  }
  return { pct: null, text: String(p) };
}

export function jobsPage(): Page {
  const jobs = new Map<string, Job>();
  const body = h("tbody", {});
  const live = h("span", { class: "state off", id: "jobs-live" }, t("live"));
  const status = h("p", { class: "meta", role: "status" });
  const render = () => {
    const rows = [...jobs.values()];
    mount(
      body,
      rows.length
        ? rows.map((j) => {
            const pr = progressText(j.progress);
            return h(
              "tr",
              { "data-id": j.id, class: `job ${j.status}` },
              h("td", {}, j.kind),
              h("td", {}, j.status),
              h(
                "td",
                {},
                pr.pct != null ? h("progress", { max: 100, value: Math.round(pr.pct), "aria-label": `${t("progress")} ${j.id}` }) : null,
                ` ${pr.pct != null ? `${Math.round(pr.pct)} %` : ""} ${pr.text}`,
              ),
              h("td", {}, String(j.attempts)),
              h("td", { class: "error" }, j.last_error ?? ""),
              h("td", { class: "meta" }, j.id),
            );
          })
        : h("tr", {}, h("td", { colspan: 6 }, t("noJobs"))),
    );
  };
  const load = async () => {
    try {
      const list = await request<Job[]>("GET", "/api/jobs?limit=100");
      jobs.clear();
      for (const j of list) jobs.set(j.id, j);
      render();
      status.textContent = "";
    } catch (e) {
      status.textContent = `${t("error")}: ${(e as Error).message}`;
    }
  };
  const es = new EventSource("/api/events");
  const onJob = (e: MessageEvent) => {
    try {
      const p = (JSON.parse(String(e.data)) as { payload: Job }).payload;
      jobs.set(p.id, { ...jobs.get(p.id), ...p });
      render();
    } catch {
      /* not a job event */
    }
  };
  for (const k of ["job.queued", "job.progress", "job.done", "job.dead"]) es.addEventListener(k, onJob);
  es.onopen = () => {
    live.className = "state on";
  };
  es.onerror = () => {
    live.className = "state off";
  };
  void load();
  const timer = setInterval(() => void load(), 15000);
  return {
    el: h(
      "section",
      { "aria-labelledby": "jobs-title" },
      h("h1", { id: "jobs-title" }, t("jobsNav"), " ", live),
      status,
      h(
        "table",
        { class: "jobs" },
        h("thead", {}, h("tr", {}, [t("job"), t("status"), t("progress"), t("attempts"), t("lastError"), "id"].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
    ),
    dispose: () => {
      es.close();
      clearInterval(timer);
    },
  };
}
