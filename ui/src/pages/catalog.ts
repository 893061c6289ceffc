import * as api from "../api";
import { duration, h, mount } from "../dom";
import { CATEGORIES, CENTRES, categoryName, centreName, lang, statusName, t } from "../i18n";
import type { Page } from "../page";
import { errorBox, fill } from "../words";

const STATUSES = ["ready", "processing", "queued", "uploading", "failed"];
const PAGE = 20;

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
  const opt = (v: string, label: string, key: string) => h("option", { value: v, selected: saved.get(key) === v }, label);
  const centre = h("select", { id: "search-centre" }, h("option", { value: "" }, t("allCentres")), Object.keys(CENTRES).map((c) => opt(c, centreName(c), "centre")));
  const state = h("select", { id: "search-status" }, h("option", { value: "" }, t("allStatuses")), STATUSES.map((x) => opt(x, statusName(x), "status")));
  const since = h("input", { id: "search-since", type: "date", value: saved.get("since") ?? "" });
  const sort = h("select", { id: "search-sort" }, opt("newest", t("sortNewest"), "sort"), opt("oldest", t("sortOldest"), "sort"));
  const results = h("ul", { class: "results", "aria-label": t("results") });
  const status = h("div", { class: "meta", role: "status", "aria-live": "polite" });
  // Keyset pages: the cursors of the pages before this one, and the next page's.
  const cursors: Array<string | null> = [null];
  let next: string | null = null;
  const prev = h("button", { type: "button", id: "page-prev", disabled: true }, t("prevPage"));
  const more = h("button", { type: "button", id: "page-next", disabled: true }, t("nextPage"));
  const pageNo = h("span", { id: "page-no", class: "meta" });
  // Only the newest request's answer is shown: the page's first listing, answered after a
  // search the user started meanwhile, must not replace that search's results.
  let latest = 0;
  const run = async (to: "first" | "next" | "prev" = "first") => {
    const mine = ++latest;
    sessionStorage.setItem(
      "kapok.search",
      new URLSearchParams({ q: q.value, category: cat.value, centre: centre.value, status: state.value, since: since.value, sort: sort.value }).toString(),
    );
    if (to === "first") cursors.splice(1);
    else if (to === "next" && next) cursors.push(next);
    else if (to === "prev" && cursors.length > 1) cursors.pop();
    status.textContent = t("loading");
    try {
      const page = await api.programmes(q.value, cat.value, {
        centre: centre.value,
        status: state.value,
        from: since.value ? `${since.value}T00:00:00+08:00` : undefined,
        sort: sort.value === "oldest" ? "oldest" : "newest",
        after: cursors[cursors.length - 1],
        limit: PAGE,
      });
      if (mine !== latest) return;
      next = page.next;
      more.disabled = !next;
      prev.disabled = cursors.length <= 1;
      pageNo.textContent = fill(t("pageN"), { n: cursors.length });
      status.textContent = page.items.length ? `${t("results")}：${page.items.length}` : t("noResults");
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
      if (mine === latest) mount(status, errorBox(e));
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
    h("label", { for: "search-centre" }, t("centre")),
    centre,
    h("label", { for: "search-status" }, t("status")),
    state,
    h("label", { for: "search-since" }, t("since")),
    since,
    h("label", { for: "search-sort" }, t("sort")),
    sort,
    h("button", { type: "submit", class: "primary" }, t("search")),
  );
  for (const el of [cat, centre, state, since, sort]) el.addEventListener("change", () => void run());
  prev.addEventListener("click", () => void run("prev"));
  more.addEventListener("click", () => void run("next"));
  void run();
  queueMicrotask(() => q.focus());
  return {
    el: h("section", { "aria-labelledby": "catalog-title" }, h("h1", { id: "catalog-title" }, t("catalog")), form, status, results, h("p", { class: "pager" }, prev, " ", pageNo, " ", more)),
  };
}
