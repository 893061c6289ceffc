// The upload page (#/upload): drop many files, one metadata form for them, a progress bar
// per file, resumed after a dropped connection (tus 1.0 at /api/uploads, ../tus.ts).

import * as api from "../api";
import { h, mount } from "../dom";
import { CATEGORIES, lang, languageOptions, t } from "../i18n";
import type { Page } from "../page";
import { head, sniff } from "../sniff";
import * as tus from "../tus";
import { failureBox } from "../failure";
import { errorBox, fill } from "../words";

/** The longest title the server accepts (catalog::programme, checked at upload creation). */
export const TITLE_MAX = 200;

/** Why `f` is not sent, or null when it may be: checked before the upload starts. */
async function refusal(f: File): Promise<string | null> {
  if (f.size === 0) return t("fileEmpty");
  return sniff(await head(f)) ? null : t("fileNotMedia");
}

/**
 * Follows programme `id` after its upload until it is ready or failed, in `note`; a failure
 * is said in words where the upload was made, with retry and delete when the role may.
 */
export function follow(id: string, li: HTMLElement, note: HTMLElement, timers: Set<ReturnType<typeof setTimeout>>): void {
  const box = h("div", { class: "outcome" });
  li.append(box);
  const poll = async (): Promise<void> => {
    let p: api.Programme;
    try {
      p = await api.programme(id);
    } catch (e) {
      mount(box, errorBox(e));
      return;
    }
    if (p.status === "ready") {
      note.textContent = t("ingestReady");
      li.classList.add("ready");
      mount(box);
      return;
    }
    if (p.status === "failed") {
      note.textContent = t("ingestFailed");
      li.classList.add("failed");
      mount(
        box,
        failureBox(p, {
          retried: () => {
            li.classList.remove("failed");
            note.textContent = t("retried");
            void poll();
          },
          deleted: () => {
            mount(box);
            note.textContent = t("deleted");
            li.querySelector("a")?.remove();
          },
        }),
      );
      return;
    }
    note.textContent = t("processing");
    const timer = setTimeout(() => {
      timers.delete(timer);
      void poll();
    }, 1500);
    timers.add(timer);
  };
  void poll();
}

export function uploadPage(): Page {
  const refused = new Map<File, string>();
  const controllers: AbortController[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const input = h("input", { id: "up-files", type: "file", multiple: true, class: "visually-hidden" });
  const list = h("ul", { class: "uploads", id: "up-list", "aria-label": t("files") });
  const zone = h(
    "div",
    { class: "drop-zone files", id: "up-zone", tabindex: "0", role: "button", "aria-describedby": "up-files-label" },
    h("span", { id: "up-files-label" }, t("dropFiles")),
  );
  // Each picked file's card, in the order picked (the files are its keys). A file is started
  // once (a second 开始上传 sends only files added since), and a finished one (done, failed or
  // cancelled) leaves the list when the next files are picked: the list is always what the
  // button sends or what is still on its way.
  const cards = new Map<File, HTMLElement>();
  const started = new Set<File>();
  const ended = new Set<File>();
  const add = async (fl: FileList | null) => {
    for (const f of ended) {
      cards.get(f)?.remove();
      cards.delete(f);
    }
    ended.clear();
    for (const f of Array.from(fl ?? [])) {
      const why = await refusal(f);
      if (why) refused.set(f, why);
      const card = h(
        "li",
        { class: why ? "card refused" : "card", "data-name": f.name },
        `${f.name} · ${(f.size / 1048576).toFixed(1)} MiB`,
        why ? h("p", { class: "error", role: "alert" }, why) : null,
      );
      cards.set(f, card);
      list.append(card);
    }
  };
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("drop-target");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-target"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("drop-target");
    void add(e.dataTransfer?.files ?? null);
  });
  input.addEventListener("change", () => void add(input.files));

  const field = (id: string, label: string, el: HTMLElement) => [h("label", { for: id }, label), el];
  const title = h("input", { id: "up-title", "aria-describedby": "up-title-count" });
  const count = h("span", { id: "up-title-count", class: "meta", "aria-live": "polite" });
  const counted = () => {
    const n = [...title.value.trim()].length;
    count.textContent = fill(t("titleCount"), { n, max: TITLE_MAX });
    count.classList.toggle("error", n > TITLE_MAX);
    return n;
  };
  title.addEventListener("input", counted);
  counted();
  const cat = h(
    "select",
    { id: "up-category" },
    CATEGORIES.map((c) => h("option", { value: c.value }, lang() === "en" ? c.en : c.value)),
  );
  const desc = h("textarea", { id: "up-description", rows: 3 });
  const language = h(
    "select",
    { id: "up-language" },
    languageOptions("zh-CN").map((o) => h("option", { value: o.value, selected: o.selected }, o.label)),
  );
  const tags = h("input", { id: "up-tags" });
  const shared = h(
    "select",
    { id: "up-sharing" },
    h("option", { value: "network" }, t("shareNetwork")),
    h("option", { value: "private" }, t("sharePrivate")),
  );
  const status = h("p", { role: "status", "aria-live": "polite", id: "up-status" });

  const one = async (f: File, several: boolean) => {
    started.add(f);
    const bar = h("progress", { max: f.size || 1, value: 0, "aria-label": f.name });
    const note = h("span", { class: "meta" });
    const stop = h("button", { type: "button" }, t("cancelUpload"));
    const li = cards.get(f) as HTMLElement;
    mount(li, h("span", {}, f.name), bar, note, stop);
    const ctl = new AbortController();
    controllers.push(ctl);
    let up: tus.Upload | null = null;
    stop.addEventListener("click", () => {
      ctl.abort();
      tus.forget(f);
      if (up) void tus.cancel(up);
      note.textContent = t("cancelled");
    });
    try {
      const name = several ? `${title.value} · ${f.name}` : title.value;
      up = await tus.createOrResume(f, {
        filename: f.name,
        title: name,
        category: cat.value,
        description: desc.value,
        language: language.value,
        tags: tags.value,
        shared: shared.value === "private" ? "private" : "network",
      });
      await tus.send(
        up,
        f,
        (sent, retrying) => {
          bar.value = sent;
          note.textContent = retrying ? t("retrying") : `${Math.round((100 * sent) / (f.size || 1))} %`;
        },
        ctl.signal,
      );
      tus.forget(f);
      bar.value = f.size || 1;
      note.textContent = t("uploadDone");
      li.classList.add("done");
      if (up.programmeId) li.append(h("a", { href: `#/programme/${encodeURIComponent(up.programmeId)}` }, t("details")));
      stop.remove();
      if (up.programmeId) follow(up.programmeId, li, note, timers);
    } catch (e) {
      if (!ctl.signal.aborted) {
        note.textContent = t("ingestFailed");
        li.append(errorBox(e));
      }
      li.classList.add("failed");
    } finally {
      ended.add(f);
    }
  };

  const form = h(
    "form",
    {
      class: "upload card",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const n = counted();
        if (n === 0 || n > TITLE_MAX) {
          status.textContent = n === 0 ? t("titleEmpty") : fill(t("titleTooLong"), { max: TITLE_MAX });
          title.focus();
          return;
        }
        const picked = [...cards.keys()];
        const sendable = picked.filter((f) => !refused.has(f) && !started.has(f));
        if (!sendable.length) {
          status.textContent = picked.length && picked.every((f) => refused.has(f)) ? t("fileNotMedia") : t("noFiles");
          return;
        }
        status.textContent = t("loading");
        void Promise.all(sendable.map((f) => one(f, sendable.length > 1))).then(() => {
          status.textContent = t("uploaded");
        });
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("details")),
      field("up-title", t("title"), h("div", { class: "with-count" }, title, count)),
      field("up-category", t("category"), cat),
      field("up-description", t("description"), desc),
      field("up-language", t("langField"), language),
      field("up-tags", t("tags"), tags),
      field("up-sharing", t("sharing"), shared),
    ),
    h("button", { type: "submit", class: "primary", id: "up-start" }, t("startUpload")),
  );
  return {
    el: h(
      "section",
      { "aria-labelledby": "up-title-h" },
      h("h1", { id: "up-title-h" }, t("uploadNav")),
      h("label", { for: "up-files" }, t("chooseFiles")),
      input,
      zone,
      list,
      form,
      status,
    ),
    dispose: () => {
      controllers.forEach((c) => c.abort());
      timers.forEach((x) => clearTimeout(x));
    },
  };
}
