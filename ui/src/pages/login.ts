import * as api from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import type { Page } from "../page";

/** The sign-in form. */
export function loginPage(done: (u: api.Principal) => void): Page {
  const user = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
  const pass = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const status = h("p", { class: "error", role: "alert", "aria-live": "assertive" });
  const form = h(
    "form",
    {
      class: "card login",
      "aria-labelledby": "login-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.textContent = "";
        try {
          done(await api.login(user.value, pass.value));
        } catch (err) {
          status.textContent = `${t("signInFailed")}: ${(err as Error).message}`;
          pass.focus();
        }
      },
    },
    h("h1", { id: "login-title" }, t("signIn")),
    h("label", { for: "username" }, t("username")),
    user,
    h("label", { for: "password" }, t("password")),
    pass,
    h("button", { type: "submit", class: "primary" }, t("signIn")),
    status,
  );
  queueMicrotask(() => user.focus());
  return { el: form };
}
