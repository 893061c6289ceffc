// Users, roles and API tokens (#/users), for admins: the accounts of the admin's centre (every
// centre for the network admin), a form to make one, the tokens with revoke, and a form to
// make a token whose secret is shown once. GET/POST /api/users, GET/POST /api/tokens,
// DELETE /api/tokens/{id}.

import * as api from "../api";
import { h, mount } from "../dom";
import { CENTRES, centreName, t } from "../i18n";
import type { Page } from "../page";
import { errorBox, may, ROLES, roleWord, stamp } from "../words";

interface User {
  id: string;
  username: string;
  display_name: string;
  role: string;
  centre: string;
  disabled: boolean;
  created_at: string;
}

interface Token {
  id: string;
  user_id: string;
  name: string;
  role: string;
  centre: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const date = (s: string | null) => stamp(s);
const json = (v: unknown) => JSON.stringify(v);

export function usersPage(me: api.Principal | null): Page {
  const status = h("div", { id: "us-status", role: "status", "aria-live": "polite" });
  const users = h("tbody", {});
  const tokens = h("tbody", {});
  const network = me?.role === "network_admin";
  // A centre admin makes accounts of its own centre only, and no network admins.
  const roles = ROLES.filter((r) => network || r !== "network_admin");
  const centres = network ? Object.keys(CENTRES) : [me?.centre ?? ""];
  const userSelect = h("select", { id: "tk-user" });

  const load = async () => {
    try {
      const [us, ts] = await Promise.all([api.request<User[]>("GET", "/api/users"), api.request<Token[]>("GET", "/api/tokens")]);
      const nameOf = new Map(us.map((u) => [u.id, u.username]));
      mount(
        users,
        us.map((u) =>
          h(
            "tr",
            { "data-username": u.username },
            h("td", {}, u.username),
            h("td", {}, u.display_name || "—"),
            h("td", {}, roleWord(u.role)),
            h("td", {}, centreName(u.centre)),
            h("td", {}, u.disabled ? t("disabled") : t("active")),
            h("td", {}, date(u.created_at)),
          ),
        ),
      );
      mount(userSelect, us.map((u) => h("option", { value: u.username }, `${u.username}（${roleWord(u.role)}）`)));
      mount(
        tokens,
        ts.length
          ? ts.map((k) =>
              h(
                "tr",
                { "data-token": k.name },
                h("td", {}, k.name),
                h("td", {}, nameOf.get(k.user_id) ?? "—"),
                h("td", {}, roleWord(k.role)),
                h("td", {}, centreName(k.centre)),
                h("td", {}, date(k.expires_at)),
                h(
                  "td",
                  {},
                  k.revoked_at
                    ? t("revoked")
                    : h(
                        "button",
                        {
                          type: "button",
                          class: "danger",
                          onclick: async () => {
                            if (!confirm(`${t("revoke")} ${k.name}?`)) return;
                            try {
                              await api.request("DELETE", `/api/tokens/${encodeURIComponent(k.id)}`);
                              await load();
                            } catch (e) {
                              mount(status, errorBox(e));
                            }
                          },
                        },
                        t("revoke"),
                      ),
                ),
              ),
            )
          : h("tr", {}, h("td", { colspan: 6 }, t("noEntries"))),
      );
    } catch (e) {
      mount(status, errorBox(e));
    }
  };

  const field = (id: string, label: string, el: HTMLElement) => [h("label", { for: id }, label), el];
  const username = h("input", { id: "nu-username", required: true, pattern: "[A-Za-z0-9._-]+", autocomplete: "off" });
  const display = h("input", { id: "nu-display" });
  const password = h("input", { id: "nu-password", type: "password", required: true, minlength: 10, maxlength: 256, autocomplete: "new-password" });
  const role = h("select", { id: "nu-role" }, roles.map((r) => h("option", { value: r, selected: r === "editor" }, roleWord(r))));
  const centre = h("select", { id: "nu-centre" }, centres.map((c) => h("option", { value: c }, centreName(c))));
  const userForm = h(
    "form",
    {
      class: "card",
      id: "new-user",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await api.request(
            "POST",
            "/api/users",
            json({
              username: username.value,
              display_name: display.value || undefined,
              password: password.value,
              role: role.value,
              centre: centre.value,
            }),
            "application/json",
          );
          mount(status, h("p", {}, `${t("created")}：${username.value}`));
          userForm.reset();
          await load();
        } catch (err) {
          mount(status, errorBox(err));
        }
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("newUser")),
      field("nu-username", t("username"), username),
      field("nu-display", t("displayName"), display),
      field("nu-password", t("password"), password),
      field("nu-role", t("role"), role),
      field("nu-centre", t("centre"), centre),
      h("button", { type: "submit", class: "primary", id: "nu-create" }, t("newUser")),
    ),
  );

  const tokenName = h("input", { id: "tk-name", required: true });
  const days = h("input", { id: "tk-days", type: "number", min: 1, max: 3650, value: 90 });
  const secret = h("div", { id: "tk-secret", "aria-live": "polite" });
  const tokenForm = h(
    "form",
    {
      class: "card",
      id: "new-token",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const r = await api.request<{ secret: string }>(
            "POST",
            "/api/tokens",
            json({ username: userSelect.value, name: tokenName.value, expires_days: Number(days.value) || undefined }),
            "application/json",
          );
          mount(secret, h("p", {}, t("tokenSecret")), h("code", { class: "secret" }, r.secret));
          await load();
        } catch (err) {
          mount(secret, errorBox(err));
        }
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, t("newToken")),
      field("tk-user", t("username"), userSelect),
      field("tk-name", t("tokenName"), tokenName),
      field("tk-days", t("expiresDays"), days),
      h("button", { type: "submit", class: "primary" }, t("newToken")),
    ),
    secret,
  );

  const head = (cols: string[]) => h("thead", {}, h("tr", {}, cols.map((x) => h("th", { scope: "col" }, x))));
  if (!may(me, "admin")) {
    return { el: h("section", {}, h("h1", {}, t("users")), h("p", { class: "error" }, t("err_forbidden"))) };
  }
  void load();
  return {
    el: h(
      "section",
      { "aria-labelledby": "us-title" },
      h("h1", { id: "us-title" }, t("users")),
      status,
      h(
        "table",
        { class: "users", id: "users" },
        head([t("username"), t("displayName"), t("role"), t("centre"), t("status"), t("createdCol")]),
        users,
      ),
      userForm,
      h("h2", {}, t("tokens")),
      h(
        "table",
        { class: "tokens", id: "tokens" },
        head([t("tokenName"), t("username"), t("role"), t("centre"), t("expires"), t("actions")]),
        tokens,
      ),
      tokenForm,
    ),
  };
}
