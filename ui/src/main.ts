// Kapok's browser UI: a hash router over its pages, a header with navigation and the
// language switch. Served from ui/dist by `kapok serve`; the API is same-origin under /api.

import "./style.css";
import * as api from "./api";
import { h, mount } from "./dom";
import { centreName, lang, setLang, t } from "./i18n";
import { loginPage } from "./pages/login";
import { monitorPage } from "./pages/monitor";
import { catalogPage } from "./pages/catalog";
import { programmePage } from "./pages/programme";
import { emergencyPage } from "./pages/emergency";
import { playlistPage } from "./pages/playlist";
import { uploadPage } from "./pages/upload";
import { jobsPage } from "./pages/jobs";
import { channelsPage } from "./pages/channels";
import { reportsPage } from "./pages/reports";
import { usersPage } from "./pages/users";
import { auditPage } from "./pages/audit";
import { may, roleWord, setCurrentUser } from "./words";
import { templatePage } from "./pages/template";
import { weekPage } from "./pages/week";
import type { Page } from "./page";

let user: api.Principal | null = null;
let current: Page | null = null;
const root = document.getElementById("app") as HTMLElement;

/** Goes to a route (`#/monitor`, `#/catalog`, `#/programme/<id>`, `#/emergency`). */
function go(route: string): void {
  if (location.hash === route) void render();
  else location.hash = route;
}

function header(): HTMLElement {
  const route = location.hash || "#/monitor";
  const link = (href: string, label: string) =>
    h("a", { href, "aria-current": route.startsWith(href) ? "page" : undefined }, label);
  return h(
    "header",
    { class: "top" },
    h("span", { class: "brand" }, t("app")),
    user
      ? h(
          "nav",
          { "aria-label": t("nav") },
          link("#/monitor", t("monitor")),
          link("#/catalog", t("catalog")),
          may(user, "writeProgramme") ? link("#/upload", t("uploadNav")) : null,
          may(user, "readJobs") ? link("#/jobs", t("jobsNav")) : null,
          link("#/channels", t("channelsNav")),
          link("#/reports", t("reportsNav")),
          link("#/emergency", t("emergency")),
          may(user, "admin") ? link("#/users", t("usersNav")) : null,
          may(user, "admin") ? link("#/audit", t("auditNav")) : null,
        )
      : null,
    h(
      "div",
      { class: "tools" },
      user ? h("span", { class: "who" }, `${user.username} · ${roleWord(user.role)} · ${centreName(user.centre)}`) : null,
      h(
        "button",
        {
          type: "button",
          id: "lang-switch",
          "aria-label": t("languageLabel"),
          onclick: () => {
            setLang(lang() === "en" ? "zh-CN" : "en");
            void render();
          },
        },
        t("language"),
      ),
      user
        ? h(
            "button",
            {
              type: "button",
              id: "sign-out",
              onclick: async () => {
                await api.logout().catch(() => undefined);
                user = null;
                setCurrentUser(null);
                go("#/login");
              },
            },
            t("signOut"),
          )
        : null,
    ),
  );
}

async function render(): Promise<void> {
  current?.dispose?.();
  current = null;
  document.documentElement.lang = lang();
  document.title = t("app");
  const skip = document.querySelector("a.skip");
  if (skip) skip.textContent = t("skip");
  if (!user) user = await api.me().catch(() => null);
  setCurrentUser(user);
  let route = location.hash || "#/monitor";
  if (!user && route !== "#/login") route = "#/login";
  if (user && route === "#/login") route = "#/monitor";
  const main = h("main", { id: "main", tabindex: "-1" });
  mount(root, header(), main);
  if (route === "#/login") {
    current = loginPage((u) => {
      user = u;
      setCurrentUser(u);
      go("#/monitor");
    });
  } else if (route.startsWith("#/catalog")) {
    current = catalogPage();
  } else if (route.startsWith("#/programme/")) {
    current = programmePage(decodeURIComponent(route.slice("#/programme/".length)));
  } else if (route.startsWith("#/channel/")) {
    const m = /^#\/channel\/([^/]+)\/day\/([^/]+)$/.exec(route);
    const tm = /^#\/channel\/([^/]+)\/template$/.exec(route);
    const wm = /^#\/channel\/([^/]+)\/week$/.exec(route);
    current = wm
      ? weekPage(decodeURIComponent(wm[1] ?? ""))
      : tm
      ? templatePage(decodeURIComponent(tm[1] ?? ""))
      : m ? playlistPage(decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? "today")) : channelsPage(user?.centre ?? "");
  } else if (route.startsWith("#/channels")) {
    current = channelsPage(user?.centre ?? "");
  } else if (route.startsWith("#/upload")) {
    current = uploadPage();
  } else if (route.startsWith("#/jobs")) {
    current = jobsPage();
  } else if (route.startsWith("#/reports")) {
    current = reportsPage();
  } else if (route.startsWith("#/users")) {
    current = usersPage(user);
  } else if (route.startsWith("#/audit")) {
    current = auditPage(user);
  } else if (route.startsWith("#/emergency")) {
    current = emergencyPage(user);
  } else {
    current = monitorPage();
  }
  main.append(current.el);
}

window.addEventListener("hashchange", () => void render());
void render();
