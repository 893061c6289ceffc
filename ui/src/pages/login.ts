import * as api from "../api";
import { h } from "../dom";
import { t } from "../i18n";
import { errorBox } from "../words";
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
  const status = h("div", { class: "login-status", "aria-live": "assertive" });
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
          const e = err as api.ApiError;
          // A wrong password and an unknown user answer alike (401); too many tries answer 429.
          const shown =
            e instanceof api.ApiError && e.status === 401
              ? new api.ApiError(401, "login", e.message, e.body)
              : e instanceof api.ApiError && e.status === 429
                ? new api.ApiError(429, "rate_limited", e.message, e.body)
                : err;
          status.replaceChildren(errorBox(shown, t("signInFailed")));
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
    // A newcomer on a fresh server has no account yet but the one `kapok serve` made.
    h("p", { class: "login-hint" }, t("signInHint")),
  );
  queueMicrotask(() => user.focus());
  return { el: form };
}
