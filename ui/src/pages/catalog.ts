import * as api from "../api";
import { duration, h, mount } from "../dom";
import { CATEGORIES, categoryName, centreName, lang, statusName, t } from "../i18n";
import type { Page } from "../page";

/** The poster (or thumbnail) of a programme into `img`'s box, or a "no poster" note. */
async function poster(p: api.Programme, box: HTMLElement): Promise<void> {
  const list = await api.assets(p.id).catch(() => [] as api.Asset[]);
  const a = list.find((x) => x.kind === "poster") ?? list.find((x) => x.kind === "thumbnail");
  if (a) mount(box, h("img", { src: api.assetUrl(a.id), alt: p.title, loading: "lazy" }));
}

/** Search with a Chinese text box and a category filter; results with posters. */
export function catalogPage(): Page {
  const saved = new URLSearchParams(sessionStorage.getItem("kapok.search") ?? "");
  const q = h("input", {
    id: "search-q",
    type: "search",
    name: "q",
    placeholder: t("searchPlaceholder"),
    value: saved.get("q") ?? "",
  });
  const cat = h(
    "select",
    { id: "search-category", name: "category" },
    h("option", { value: "" }, t("allCategories")),
    CATEGORIES.map((c) =>
      h("option", { value: c.value, selected: saved.get("category") === c.value }, lang() === "en" ? c.en : c.value),
    ),
  );
  const results = h("ul", { class: "results", "aria-label": t("results") });
  const status = h("p", { class: "meta", role: "status", "aria-live": "polite" });
  // Only the newest request's answer is shown: the page's first listing, answered after a
  // search the user started meanwhile, must not replace that search's results.
  let latest = 0;
  const run = async () => {
    const mine = ++latest;
    sessionStorage.setItem("kapok.search", new URLSearchParams({ q: q.value, category: cat.value }).toString());
    status.textContent = t("loading");
    try {
      const page = await api.programmes(q.value, cat.value);
      if (mine !== latest) return;
      status.textContent = page.items.length ? `${t("results")}: ${page.items.length}` : t("noResults");
      mount(
        results,
        page.items.map((p) => {
          const thumb = h("div", { class: "thumb" }, h("span", {}, t("noPoster")));
          void poster(p, thumb);
          return h(
            "li",
            { class: "card result" },
            thumb,
            h(
              "div",
              {},
              h("a", { href: `#/programme/${encodeURIComponent(p.id)}`, class: "title" }, p.title),
              h(
                "p",
                { class: "meta" },
                `${categoryName(p.category)} · ${centreName(p.centre)} · ${duration(p.duration_ms)} · ${statusName(p.status)}`,
              ),
            ),
          );
        }),
      );
    } catch (e) {
      if (mine === latest) status.textContent = `${t("error")}: ${(e as Error).message}`;
    }
  };
  const form = h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    h("label", { for: "search-q" }, t("searchLabel")),
    q,
    h("label", { for: "search-category" }, t("category")),
    cat,
    h("button", { type: "submit", class: "primary" }, t("search")),
  );
  cat.addEventListener("change", () => void run());
  void run();
  queueMicrotask(() => q.focus());
  return {
    el: h("section", { "aria-labelledby": "catalog-title" }, h("h1", { id: "catalog-title" }, t("catalog")), form, status, results),
  };
}
