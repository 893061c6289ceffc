// Ingest jobs (#/jobs): the centre's jobs (GET /api/jobs), updated live from the server's
// event stream (`job.*` events of /api/events).

import { programme, reasonKey, request } from "../api";
import { h, mount } from "../dom";
import { t, word } from "../i18n";
import type { Page } from "../page";
import { errorBox, jobKind, jobState, stamp } from "../words";

interface Job {
  id: string;
  kind: string;
  status: string;
  progress: unknown;
  attempts: number;
  max_attempts?: number;
  last_error: string | null;
  payload?: { programme_id?: string; title?: string };
  created_at?: string;
  updated_at?: string;
}

/** A job's time, to the second in UTC+8. */
const when = (s: string | undefined) => stamp(s);

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
    const stage = typeof o.stage === "string" ? word("stage_", o.stage) : "";
    return { pct, text: stage || (pct == null ? JSON.stringify(o) : "") };
  }
  return { pct: null, text: String(p) };
}

export function jobsPage(): Page {
  const jobs = new Map<string, Job>();
  const titles = new Map<string, string>();
  const body = h("tbody", {});
  const titleOf = (j: Job): HTMLElement | string => {
    const pid = j.payload?.programme_id;
    if (!pid) return "—";
    if (!titles.has(pid)) {
      titles.set(pid, j.payload?.title ?? "…");
      void programme(pid)
        .then((p) => {
          titles.set(pid, p.title);
          render();
        })
        .catch(() => {
          titles.set(pid, t("deletedProgramme"));
          render();
        });
    }
    return h("a", { href: `#/programme/${encodeURIComponent(pid)}`, class: "job-title" }, titles.get(pid) ?? "…");
  };
  const live = h("span", { class: "state off", id: "jobs-live" }, t("live"));
  const status = h("div", { class: "meta", role: "status" });
  const render = () => {
    const rows = [...jobs.values()];
    mount(
      body,
      rows.length
        ? rows.map((j) => {
            // A finished job is at 100 % whatever the last progress event said.
            const pr = j.status === "done" ? { pct: 100, text: word("stage_", "done") } : progressText(j.progress);
            return h(
              "tr",
              { "data-id": j.id, class: `job ${j.status}` },
              h("td", {}, titleOf(j)),
              h("td", {}, jobKind(j.kind)),
              h("td", { class: "job-state", "data-status": j.status }, jobState(j.status)),
              h(
                "td",
                {},
                pr.pct != null ? h("progress", { max: 100, value: Math.round(pr.pct), "aria-label": `${t("progress")} ${j.id}` }) : null,
                ` ${pr.pct != null ? `${Math.round(pr.pct)} %` : ""} ${pr.text}`,
              ),
              h("td", {}, j.max_attempts ? `${j.attempts} / ${j.max_attempts}` : String(j.attempts)),
              h(
                "td",
                { class: "error" },
                j.last_error
                  ? [t(reasonKey(j.last_error)), h("details", { class: "detail" }, h("summary", {}, t("detail")), h("code", {}, j.last_error))]
                  : "",
              ),
              h("td", { class: "meta" }, when(j.updated_at ?? j.created_at)),
            );
          })
        : h("tr", {}, h("td", { colspan: 7 }, t("noJobs"))),
    );
  };
  const load = async () => {
    try {
      const list = await request<Job[]>("GET", "/api/jobs?limit=100");
      jobs.clear();
      for (const j of list) jobs.set(j.id, j);
      render();
      mount(status);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  // Events come in bursts (a progress step per stage): one reload a second at most.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const reload = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      void load();
    }, 1000);
  };
  const es = new EventSource("/api/events");
  // Progress events name the programme, not the job: they update the programme's running job.
  // A finished or failed programme reloads the list (its job's final state and time).
  const onJob = (e: MessageEvent) => {
    try {
      const p = (JSON.parse(String(e.data)) as { payload: Partial<Job> & { programme_id?: string; stage?: string; percent?: number } }).payload;
      const job =
        (p.id ? jobs.get(p.id) : undefined) ??
        [...jobs.values()].find((j) => j.payload?.programme_id === p.programme_id && j.status !== "done" && j.status !== "dead");
      if (!job) return void reload();
      if (p.stage !== undefined) job.progress = { stage: p.stage, percent: p.percent };
      else Object.assign(job, p);
      render();
    } catch {
      /* not a job event */
    }
  };
  for (const k of ["job.queued", "job.progress", "job.done", "job.dead"]) es.addEventListener(k, onJob);
  for (const k of ["programme.ready", "programme.failed", "programme.created", "programme.updated"]) {
    es.addEventListener(k, () => void reload());
  }
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
        h("thead", {}, h("tr", {}, [t("programmeCol"), t("job"), t("status"), t("progress"), t("attempts"), t("lastError"), t("updated")].map((x) => h("th", { scope: "col" }, x)))),
        body,
      ),
    ),
    dispose: () => {
      es.close();
      clearInterval(timer);
      clearTimeout(pending);
    },
  };
}
