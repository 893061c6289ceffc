// A failed programme where the reader is (the upload page, the programme page): why it
// failed in words, the server's reason folded away as a detail, and retry and delete for the
// roles that may change it.

import * as api from "./api";
import { h, mount } from "./dom";
import { t } from "./i18n";
import { currentUser, errorBox, may } from "./words";

/** What to do after a retry (`p` is queued again) or a delete. */
export interface After {
  retried: (p: api.Programme) => void;
  deleted: () => void;
}

export function failureBox(p: api.Programme, after: After, id?: string): HTMLElement {
  const why = api.reasonKey(p.reason);
  const box = h(
    "div",
    { class: "error failure", role: "alert", id },
    h("p", { class: "why" }, `${t("ingestFailed")}：${t(why)}`),
    p.reason ? h("details", { class: "detail" }, h("summary", {}, t("detail")), h("code", {}, p.reason)) : null,
  );
  if (!may(currentUser(), "writeProgramme", p.centre)) return box;
  const problem = h("div", {});
  const act = (label: string, cls: string, run: () => Promise<void>) =>
    h(
      "button",
      {
        type: "button",
        class: cls,
        onclick: () =>
          void run().catch((e: unknown) => {
            mount(problem, errorBox(e));
          }),
      },
      label,
    );
  box.append(
    h(
      "p",
      { class: "actions" },
      // An abandoned upload's bytes are gone: it is uploaded again, not retried.
      why === "why_abandoned"
        ? null
        : act(t("retry"), "retry", async () => after.retried(await api.retryProgramme(p.id))),
      act(t("deleteProgramme"), "danger delete", async () => {
        if (!confirm(t("deleteConfirm"))) return;
        await api.deleteProgramme(p.id);
        after.deleted();
      }),
    ),
    problem,
  );
  return box;
}
