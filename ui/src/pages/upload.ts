// The upload page (#/upload): drop many files, one metadata form for them, a progress bar
// per file, resumed after a dropped connection (tus 1.0 at /api/uploads, ../tus.ts).

import { h, mount } from "../dom";
import { CATEGORIES, lang, t } from "../i18n";
import type { Page } from "../page";
import * as tus from "../tus";

export function uploadPage(): Page {
  const files: File[] = [];
  const controllers: AbortController[] = [];
  const input = h("input", { id: "up-files", type: "file", multiple: true, class: "visually-hidden" });
  const list = h("ul", { class: "uploads", id: "up-list", "aria-label": t("files") });
  const zone = h(
    "div",
    { class: "drop-zone files", id: "up-zone", tabindex: "0", role: "button", "aria-describedby": "up-files-label" },
    h("span", { id: "up-files-label" }, t("dropFiles")),
  );
  const showFiles = () =>
    mount(
      list,
      files.map((f) => h("li", { class: "card", "data-name": f.name }, `${f.name} · ${(f.size / 1048576).toFixed(1)} MiB`)),
    );
  const add = (fl: FileList | null) => {
    for (const f of Array.from(fl ?? [])) files.push(f);
    showFiles();
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
    add(e.dataTransfer?.files ?? null);
  });
  input.addEventListener("change", () => add(input.files));

  const field = (id: string, label: string, el: HTMLElement) => [h("label", { for: id }, label), el];
  const title = h("input", { id: "up-title", required: true });
  const cat = h(
    "select",
    { id: "up-category" },
    CATEGORIES.map((c) => h("option", { value: c.value }, lang() === "en" ? c.en : c.value)),
  );
  const desc = h("textarea", { id: "up-description", rows: 3 });
  const language = h("input", { id: "up-language", value: "zh-CN" });
  const tags = h("input", { id: "up-tags" });
  const shared = h(
    "select",
    { id: "up-sharing" },
    h("option", { value: "network" }, t("shareNetwork")),
    h("option", { value: "private" }, t("sharePrivate")),
  );
  const status = h("p", { role: "status", "aria-live": "polite", id: "up-status" });

  const one = async (f: File, i: number) => {
    const bar = h("progress", { max: f.size || 1, value: 0, "aria-label": f.name });
    const note = h("span", { class: "meta" });
    const stop = h("button", { type: "button" }, t("cancelUpload"));
    const li = list.children[i] as HTMLElement;
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
      const name = files.length > 1 ? `${title.value} · ${f.name}` : title.value;
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
    } catch (e) {
      if (!ctl.signal.aborted) note.textContent = `${t("error")}: ${(e as Error).message}`;
      li.classList.add("failed");
    }
  };

  const form = h(
    "form",
    {
      class: "upload card",
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (!files.length) {
          status.textContent = t("noFiles");
          return;
        }
        status.textContent = t("loading");
        void Promise.all(files.map((f, i) => one(f, i))).then(() => {
          status.textContent = t("uploaded");
        });
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("details")),
      field("up-title", t("title"), title),
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
    dispose: () => controllers.forEach((c) => c.abort()),
  };
}
