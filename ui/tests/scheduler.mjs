// The browser test's scheduler journey (issue 18), on nothing but the first run's demo data:
// the demo TV channel's template generates today's day in the editor (each item says why),
// the day re-opens fast, an insert in the past is refused, the freshly uploaded programme is
// inserted at a time (the day stays 24 h and publishable) and dragged onto a later row (the
// same insert at that row's start), slate and a filler are insertable,
// generating over manual edits asks first, the day is published and the monitor shows the
// programme in now/next, and the template editor previews a day (a rule it had to break
// listed in words) and refuses a category without programmes. Timing targets (issue 18 item
// 3, the test fails past 3×): open ≤ 1 s (printed with its parts: click, the request's
// stall, server, transfer and parse, the draw), an edit ≤ 200 ms (held: the page's redraw;
// click to row shown is printed), publish ≤ 2 s. The roles walk's English-text check runs on
// the day after generate, insert and publish with the version history open, on a refused
// insert's message and on the template preview with a rule broken.
// Everything goes through the page.

import { englishTexts } from "./roles.mjs";

const fail = (msg) => {
  throw new Error(msg);
};

/** The English-text check of the roles walk on the scheduler's page as it is now (zh-CN). */
async function noEnglish(page, where) {
  const bad = await englishTexts(page);
  if (bad.length) fail(`English text on ${where} in zh-CN mode:\n  ${bad.join("\n  ")}`);
  console.log(`  English check passed: ${where}`);
}

const TARGETS = { open: 1000, redraw: 200, publish: 2000 };
// `redraw-*` (the page's part of an edit) is held to the 200 ms edit target. `edit-*` (click to
// row shown) and `answer-*` (the server's part) are figures: end to end the target is not met
// on a loaded 2-core machine with a debug server (0.43–0.93 s seen, of which the answer is
// 0.25–0.6 s), and a CI run must not turn on the machine's load. Issue 18 says so.
export const figures = {};

/** Records a timing and fails past 3× its target. */
function timed(name, ms) {
  figures[name] = Math.round(ms);
  const target = TARGETS[name.replace(/-.*/, "")];
  if (target == null) {
    console.log(`  ⏱ ${name}: ${Math.round(ms)} ms (figure only)`);
    return;
  }
  console.log(`  ⏱ ${name}: ${Math.round(ms)} ms (target ${target} ms, fails past ${3 * target} ms)`);
  if (ms <= 3 * target) return;
  // KAPOK_UI_TIMING=report: on a machine known to be overloaded, the figure is printed and
  // the walk goes on (never the default: the targets are part of the test).
  if (process.env.KAPOK_UI_TIMING === "report") console.log(`  ⚠ ${name} over 3× its target (KAPOK_UI_TIMING=report)`);
  else fail(`${name} took ${Math.round(ms)} ms, more than 3× the ${target} ms target`);
}

/**
 * An edit's figures: click to redrawn row (`edit-*`), the server's answer (`answer-*`) and the
 * page's redraw after it (`redraw-*`, held to the 200 ms edit target).
 */
async function editTimed(page, name, total) {
  const answer = Number(await page.locator("#pl-status").getAttribute("data-answer-ms"));
  const redraw = Number(await page.locator("#pl-status").getAttribute("data-redraw-ms"));
  timed(`edit-${name}`, total);
  timed(`answer-${name}`, answer);
  timed(`redraw-${name}`, redraw);
}

/** "HH:MM:SS" in UTC+8 `secs` from now. */
const clockIn = (secs) => new Date(Date.now() + 8 * 3600_000 + secs * 1000).toISOString().slice(11, 19);

/**
 * Opens the demo TV channel's day from the monitor; resolves with the milliseconds until its
 * rows show, and (figures) from the click to the page's creation and from its first draw to
 * the rows seen here.
 */
async function openDay(page) {
  await page.getByRole("link", { name: "播出监看" }).click();
  const link = page.locator('article[data-slug="pzh-demo-tv"] a.edit-day');
  await link.waitFor();
  const t0 = Date.now();
  await link.click();
  await page.locator("#pl-list li.item").first().waitFor();
  await page.locator("#pl-version", { hasText: "版本" }).waitFor();
  const t1 = Date.now();
  const at = async (attr) => Number(await page.locator("#pl-status").getAttribute(attr));
  const openedAt = await at("data-open-at");
  const drawnAt = await at("data-drawn-at");
  if (openedAt && drawnAt) {
    timed("click-open", openedAt - t0);
    timed("seen-open", t1 - drawnAt);
  }
  return t1 - t0;
}

/** Signs out and in again as `username` by the login form. */
async function signIn(page, username, password) {
  await page.getByRole("button", { name: "退出" }).click();
  await page.getByLabel("用户名").waitFor();
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "播出监看" }).waitFor();
}

/**
 * Scheduling today on the demo TV channel as the city's scheduler (made by the admin, as the
 * 米易 operator is); returns the channel id (from the page's URL).
 */
export async function schedulerDay(page, shot, title, password, api) {
  const made = await api(page, "POST", "/api/users", { username: "city-scheduler", password, role: "scheduler", centre: "510400" });
  if (made.status !== 201 && made.status !== 200) fail(`creating the city scheduler answered ${made.status} ${made.body}`);
  await signIn(page, "city-scheduler", password);
  await page.locator(".who", { hasText: "city-scheduler" }).waitFor();
  await page.getByRole("link", { name: "播出监看" }).click();
  const link = page.locator('article[data-slug="pzh-demo-tv"] a.edit-day');
  await link.click();
  await page.locator("#generate").waitFor();
  await page.locator("#pl-version", { hasText: /./ }).waitFor();
  const channelId = decodeURIComponent(/#\/channel\/([^/]+)\//.exec(page.url())?.[1] ?? fail(`no channel in ${page.url()}`));

  // 1. Generate from the first run's template: a full day, every item with its reason.
  await page.locator("#generate").click();
  await page.locator("#pl-list li.item").first().waitFor();
  await page.locator("#pl-version", { hasText: "结束于 06:00:00" }).waitFor();
  const count = Number(/(\d+) 条/.exec((await page.locator("#pl-version").textContent()) ?? "")?.[1]);
  if (!(count > 2000)) fail(`the generated day has ${count} items, not a full day of 30 s clips`);
  const why = await page.locator("#pl-list li.item .why").first().textContent();
  if (!why?.includes("least recently played") && !why?.includes("·")) fail(`the first row shows no reason: ${why}`);
  const rows = await page.locator("#pl-list li.item").count();
  if (rows > 200) fail(`${rows} rows in the page for ${count} items: the list is not virtualised`);
  await page.locator("#pl-summary:not(.error)").waitFor();
  await page.locator(".now-marker:not([hidden])").waitFor();
  // The generator's reasons and the version label in Chinese, the version history open.
  if (/least recently|filler closing|generated/.test(why ?? "")) fail(`the reason is English: ${why}`);
  await page.locator("details.history summary").click();
  await page.locator("#pl-versions li").first().waitFor();
  await page.locator("#pl-list li.item button.pick").first().click();
  await page.locator("#pl-why").waitFor();
  await noEnglish(page, "the generated day (versions open, first item selected)");
  await shot("sched-generated");

  // 2. The generated day re-opens within the target; where the time went, as figures.
  timed("open", await openDay(page));
  const parts = ["setup", "answer", "stall", "server", "transfer", "parse", "render"];
  for (const part of parts) {
    const v = await page.locator("#pl-status").getAttribute(`data-open-${part}-ms`);
    if (v != null) timed(`${part}-open`, Number(v));
  }
  console.log(`  day answer: ${await page.locator("#pl-status").getAttribute("data-open-bytes")} B`);
  await page.locator("details.history summary").click();
  await page.locator("#pl-versions li").first().waitFor();

  // 3. Insert in the past: refused with a message, nothing sent.
  const version0 = await page.locator("#pl-version").textContent();
  await page.locator("#pl-search").fill(title);
  await page.locator("aside.pl-catalog button[type=submit]").click();
  const card = page.locator("aside.pl-catalog li", { hasText: title });
  await card.waitFor();
  await page.locator("#insert-at").fill(clockIn(-600));
  await card.locator("button.insert").click();
  await page.locator("#pl-alert.error", { hasText: "不能插入到已经播出的时间" }).waitFor();
  if ((await page.locator("#pl-version").textContent()) !== version0) fail("an insert in the past changed the day");
  await shot("sched-insert-past-refused");

  // 4. The insert time follows the clock again; the programme goes in at now + 2 min: the
  // item on air then is split, the day end is fitted (still 06:00, no error).
  await page.locator("#follow-clock").check();
  await page.waitForFunction(() => /^\d{2}:\d{2}:\d{2}$/.test(document.querySelector("#insert-at")?.value ?? ""));
  const follows = await page.locator("#insert-at").inputValue();
  const want = clockIn(120);
  const diff = Math.abs(Date.parse(`1970-01-01T${follows}Z`) - Date.parse(`1970-01-01T${want}Z`));
  if (diff > 5000) fail(`the insert time ${follows} does not follow the clock (now + 2 min = ${want})`);
  let t0 = Date.now();
  await card.locator("button.insert").click();
  const placed = page.locator("#pl-list li.item", { hasText: title });
  await placed.waitFor();
  await editTimed(page, "insert", Date.now() - t0);
  await page.locator("#pl-version", { hasText: "结束于 06:00:00" }).waitFor();
  await page.locator("#pl-summary:not(.error)").waitFor();
  await page.locator("#pl-panel h2", { hasText: title }).waitFor();
  await page.locator("#pl-version", { hasText: `插入 ${title}` }).waitFor();
  await page.locator("#pl-versions li", { hasText: `插入 ${title}` }).first().waitFor();
  await noEnglish(page, "the day after an insert (versions open)");
  await shot("sched-inserted");

  // 5. An edit of the selected item redraws within the target (lock, then unlock).
  t0 = Date.now();
  await page.locator("#pl-panel button.lock").click();
  await page.locator("#pl-list li.item.selected .lock-mark").waitFor();
  await editTimed(page, "lock", Date.now() - t0);
  await page.locator("#pl-panel button.lock").click();
  await page.locator("#pl-list li.item.selected .lock-mark").waitFor({ state: "detached" });

  // 5b. The programme dragged from the catalog onto a later row goes in at that row's start
  // the way the insert dialog does it (split, ripple, day end fitted), timed end to end.
  const selected = Number(await page.locator("#pl-list li.item.selected").getAttribute("data-index"));
  const target = page.locator(`#pl-list li.item[data-index="${selected + 4}"]`);
  const targetStart = (await target.locator(".start").textContent())?.trim();
  const before5 = await page.locator("#pl-version").textContent();
  t0 = Date.now();
  await card.dragTo(target);
  await page.locator("#pl-version", { hasText: `在 ${targetStart} 插入 ${title}` }).waitFor();
  await page.locator(`#pl-list li.item[data-index="${selected + 4}"]`, { hasText: title }).waitFor();
  await editTimed(page, "drag", Date.now() - t0);
  if ((await page.locator("#pl-version").textContent()) === before5) fail("the drop changed nothing");
  await page.locator("#pl-version", { hasText: "结束于 06:00:00" }).waitFor();
  await page.locator("#pl-summary:not(.error)").waitFor();
  await shot("sched-dragged");

  // 6. Slate and a filler at later times, from the insert panel.
  await page.locator("#pl-other summary").click();
  await page.locator("#follow-clock").uncheck();
  await page.locator("#insert-at").fill(clockIn(600));
  await page.locator("#ins-kind").selectOption("slate");
  await page.locator("#ins-secs").fill("10");
  await page.locator("#ins-go").click();
  await page.locator("#pl-list li.item.slate").first().waitFor();
  await page.locator("#ins-kind").selectOption("filler");
  const filler = await page.locator("#ins-choice option").first().textContent();
  if (!filler?.includes("台标宣传")) fail(`the first run's filler is not offered: ${filler}`);
  await page.locator("#insert-at").fill(clockIn(900));
  await page.locator("#ins-go").click();
  await page.locator("#pl-list li.item.filler").first().waitFor();
  await page.locator("#pl-version", { hasText: "结束于 06:00:00" }).waitFor();
  await page.locator("#pl-summary:not(.error)").waitFor();
  await shot("sched-slate-filler");

  // 6b. The radio's public-service spot (sound only) on this TV day: allowed, and warned of on
  // its row and in the edit panel, in words.
  const spot = page.locator("#ins-choice option", { hasText: "公益广告" });
  await page.locator("#ins-choice").selectOption((await spot.getAttribute("value")) ?? fail("the radio's spot is not offered"));
  await page.locator("#insert-at").fill(clockIn(1200));
  await page.locator("#ins-go").click();
  const audioRow = page.locator("#pl-list li.item.has-warning", { hasText: "公益广告" });
  await audioRow.waitFor();
  await page.locator('#pl-panel .findings li[data-code="audio_only_on_tv"]', { hasText: "只有声音，没有画面" }).waitFor();
  await page.locator("#pl-summary:not(.error)").waitFor();
  await noEnglish(page, "the day with a sound-only spot warned of");
  await shot("sched-audio-only-warned");

  // 6c. Slate longer than the rest of the day: refused in words (the server's code and
  // values), the day unchanged.
  const before6c = await page.locator("#pl-version").textContent();
  await page.locator("#ins-kind").selectOption("slate");
  await page.locator("#ins-secs").fill("100000");
  await page.locator("#insert-at").fill(clockIn(1500));
  await page.locator("#ins-go").click();
  await page.locator("#pl-alert.error", { hasText: "放不进播出日结束之前" }).waitFor();
  if ((await page.locator("#pl-version").textContent()) !== before6c) fail("a refused insert changed the day");
  await noEnglish(page, "a refused insert's message");
  await shot("sched-insert-refused");
  await page.locator("#ins-secs").fill("10");

  // 7. Generating over these edits asks first; declining keeps them.
  const before = await page.locator("#pl-version").textContent();
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.locator("#generate").click();
  await page.waitForFunction(() => true);
  await page.waitForTimeout(300);
  if (!asked.includes("手工修改")) fail(`generate over manual edits did not ask first (${asked})`);
  if ((await page.locator("#pl-version").textContent()) !== before) fail("declining the question still regenerated the day");

  // 8. Publish within the target.
  t0 = Date.now();
  await page.locator("#publish").click();
  await page.locator("#pl-alert.ok", { hasText: "已发布" }).waitFor();
  timed("publish", Date.now() - t0);
  await page.locator("#pl-versions li", { hasText: "已发布" }).first().waitFor();
  await noEnglish(page, "the day after publishing (versions open)");
  await shot("sched-published");

  // 9. On air: the monitor's now/next names the programme once the item before it airs
  // (it goes in at now + 2 min, so this waits up to that long).
  await page.getByRole("link", { name: "播出监看" }).click();
  const tv = page.locator('article[data-slug="pzh-demo-tv"]');
  await tv.locator("dl.now-next dd", { hasText: title }).waitFor({ timeout: 180_000 });
  await shot("sched-on-air");
  await tv.locator("a.edit-day").click();
  await page.locator("#pl-list li.item").first().waitFor();

  // 10. The day copied to the next two days (a new version of each, not published).
  await page.locator("#pl-copy summary").click();
  await page.locator("#copy-days").fill("2");
  await page.locator("#copy-go").click();
  await page.locator("#copy-result li").nth(1).waitFor();
  const copied = await page.locator("#copy-result").textContent();
  if (!/0 个错误.*0 个错误/.test(copied ?? "")) fail(`the copies have errors: ${copied}`);
  await shot("sched-copied");

  // 10b. The week view: today published, the two copies drafts, the rest empty; a copy from
  // there fills the rest of the week (asked first); each day links into its editor.
  await page.locator("#pl-week-link").click();
  const col = (i) => page.locator("#wk-days article.week-day").nth(i);
  await col(6).waitFor();
  if ((await page.locator("#wk-days article.week-day").count()) !== 7) fail("the week view does not show 7 days");
  const states = async () => page.locator("#wk-days article.week-day").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
  const first = await states();
  if (first[0] !== "published" || first[1] !== "draft" || first[2] !== "draft" || first.slice(3).some((x) => x !== "empty"))
    fail(`week states after publishing today and copying two days: ${first.join(", ")}`);
  await col(0).locator(".items", { hasText: "条" }).waitFor();
  await col(0).locator(".fill", { hasText: "100%" }).waitFor();
  await noEnglish(page, "the week view");
  await shot("sched-week");
  page.once("dialog", (d) => void d.accept());
  await col(2).locator("button.copy-rest").click();
  await page.waitForFunction(() => document.querySelectorAll('#wk-days article[data-state="empty"]').length === 0);
  const after = await states();
  if (after.slice(3).some((x) => x !== "draft")) fail(`the rest of the week is not drafted: ${after.join(", ")}`);
  if (await page.locator("#wk-days article.has-error").count()) fail("a copied day has errors");
  await shot("sched-week-filled");
  const fourth = await col(4).getAttribute("data-date");
  await col(4).locator("a.open-day").click();
  await page.locator("#pl-date").waitFor();
  await page.waitForFunction((d) => document.querySelector("#pl-date")?.value === d, fourth);
  await page.locator("#pl-list li.item").first().waitFor();
  await page.locator("#pl-version", { hasText: "复制自" }).waitFor();
  await page.locator("#pl-week-link").click();
  await page.locator("#wk-today").click();
  await page.locator("#pl-list li.item").first().waitFor();

  // 11. The template editor: the first run's blocks, a preview of a generated day.
  await page.locator("#pl-template-link").click();
  await page.locator("#tp-blocks tbody tr").first().waitFor();
  const blocks = await page.locator("#tp-blocks tbody tr").count();
  if (blocks < 4) fail(`the template editor shows ${blocks} blocks`);
  await page.locator("#tp-preview-go").click();
  await page.locator("#tp-preview-summary").waitFor();
  await page.locator("#tp-preview svg.strip").waitFor();
  await shot("sched-template-preview");
  // A quota no day can meet (涉农 all 24 h; the evening block has none): the preview lists
  // the rule broken, in words.
  const nq = await page.locator('input[id^="tq-name-"]').count();
  await page.locator("#tp-add-quota").click();
  await page.locator(`#tq-name-${nq}`).fill("全天涉农（测试）");
  await page.locator(`#tq-from-${nq}`).fill("06:00");
  await page.locator(`#tq-until-${nq}`).fill("06:00");
  await page.locator(`#tq-min-${nq}`).fill("1440");
  await page.locator("#tp-preview-go").click();
  const quotaBreak = page.locator('#tp-breaks li[data-rule="quota"]', { hasText: "全天涉农（测试）" });
  await quotaBreak.waitFor({ state: "attached" });
  await page.locator("#tp-preview details summary").click();
  await quotaBreak.waitFor();
  const breakText = (await quotaBreak.textContent()) ?? "";
  if (!breakText.includes("配额") || !breakText.includes("要求 24:00:00:00")) fail(`the quota break is not in words: ${breakText}`);
  await noEnglish(page, "the template preview with a rule broken");
  await shot("sched-template-rule-break");
  await page.locator("button.remove-quota").nth(nq).click();
  // A category with no programmes is refused with the reason, before anything is saved.
  await page.locator("#tb-cat-0-少儿").check();
  await page.locator("#tp-save").click();
  await page.locator("#tp-problems li", { hasText: "少儿" }).waitFor();
  await noEnglish(page, "the template refused for a category without programmes");
  await shot("sched-template-refused");
  await page.locator("#tb-cat-0-少儿").uncheck();
  await page.locator("#tp-save").click();
  await page.locator("#tp-status", { hasText: "模板已保存" }).waitFor();
  await page.locator("#tp-back").click();
  await page.locator("#pl-list li.item").first().waitFor();
  return channelId;
}

/**
 * Someone else's edit in between (another scheduler's tab): the editor's next edit gets 409,
 * says so and reloads; the reloaded day (the trailing item deleted: dead air at the end)
 * cannot be published (the blocking finding listed); 补齐到 24 小时 fits it again. Then the
 * editor in English and back.
 */
export async function conflictBlockFit(page, shot, channelId, api, password) {
  const date = await page.locator("#pl-date").inputValue();
  const day = JSON.parse((await api(page, "GET", `/api/channels/${channelId}/days/${date}`)).body);
  const last = day.playlist.items.length - 1;
  const r = await api(page, "POST", `/api/channels/${channelId}/days/${date}/edits`, {
    version: day.version,
    op: { op: "delete", index: last },
  });
  if (r.status !== 201) fail(`concurrent edit: ${r.status} ${r.body}`);
  await page.locator("#pl-list li.item button.pick").first().click();
  await page.locator("#pl-panel button.lock").click();
  await page.locator("#pl-alert.error", { hasText: "已被他人修改" }).waitFor();
  await page.locator("#pl-version", { hasText: `版本 ${day.version + 1}` }).waitFor();
  await page.locator("#pl-summary.error").waitFor();
  await shot("sched-conflict");
  await page.locator("#publish").click();
  await page.locator('#blocking li[data-code="gap"]', { hasText: "空播" }).waitFor();
  await shot("sched-publish-blocked");
  await page.locator("#fit-day").click();
  await page.locator("#pl-version", { hasText: `版本 ${day.version + 2}` }).waitFor();
  await page.locator("#pl-summary:not(.error)").waitFor();
  await page.locator("#pl-list").evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await page.locator(`#pl-list li.item[data-index="${last}"]`).waitFor();
  await shot("sched-fitted");
  await page.locator("#publish").click();
  await page.locator("#pl-alert.ok").waitFor();
  await page.locator("#lang-switch").click();
  await page.getByRole("heading", { name: /^Playlist editor/ }).waitFor();
  await page.getByRole("button", { name: "Generate from template" }).waitFor();
  await page.locator("#pl-list li.item").first().waitFor();
  await shot("sched-english");
  await page.locator("#lang-switch").click();
  await page.getByRole("heading", { name: /^节目单编排/ }).waitFor();
  await signIn(page, "admin", password);
}
