// Day one in the browser for every role but the scheduler (issue 18), from a fresh
// `kapok serve` with nothing but its first run, and no API call outside the browser's pages:
//
//   the city admin signs in (a wrong password first: the error in Chinese), makes a 米易 editor
//   and a 米易 emergency operator on the users page, and looks at the monitor (the radio
//   preview's level meter), channels, jobs, reports and the audit log;
//   the 米易 editor's upload page refuses a text file renamed .mp4 and a 201-character title
//   before anything is sent, uploads a broken .mp4 and sees its failure there in Chinese
//   (no server paths), deletes it, and finds 米易's programme aired on the city TV channel in
//   the reports (and its CSV);
//   the 米易 emergency operator sends a drill and cancels it.
//
// On every page visited in zh-CN, no visible text node may be English outside a small
// allow-list (names, codes, units). Screenshots: <artefacts>/roles-NN-*.png.
//
//   node tests/roles.mjs            (or from browser.mjs: rolesWalk(options))
// Environment as browser.mjs: KAPOK_BIN, CHROMIUM, KAPOK_UI_ARTIFACTS.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const PASSWORD = "ui-roles-Password-1";

const fail = (msg) => {
  throw new Error(msg);
};

/** Words allowed in zh-CN pages: names, codes, units, and the switch to English. */
const ALLOWED = new Set(
  [
    "English", "admin", "miyi-editor", "miyi-duty", "LUFS", "LKFS", "dBTP", "LU", "MiB", "CAP", "XML", "CSV", "API",
    "HLS", "QC", "ID", "UTC", "EXERCISE", "ACTUAL", "Exercise", "Actual", "MP4", "JSON", "kapok", "Kapok", "tus", "kHz", "s", "h",
  ].map((w) => w.toLowerCase()),
);

/** The visible text nodes of the page that hold English outside the allow-list. */
export async function englishTexts(page) {
  return page.evaluate((allowed) => {
    const allow = new Set(allowed);
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent ?? "";
      if (!el || !/[A-Za-z]{2,}/.test(text)) continue;
      if (el.closest("script, style, code, [hidden]")) continue;
      if (typeof el.checkVisibility === "function" && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      for (const chunk of text.split(/[\s·,，、：:；;（）()【】「」《》\[\]"“”]+/)) {
        // A chunk with digits or code punctuation is a code: a slug, an id, a file, a key.
        if (!/[A-Za-z]{2,}/.test(chunk) || /[0-9_@\/.=-]/.test(chunk)) continue;
        const words = chunk.match(/[A-Za-z]+/g) ?? [];
        if (words.some((w) => !allow.has(w.toLowerCase()))) bad.push(text.trim().slice(0, 120));
      }
    }
    return [...new Set(bad)];
  }, [...ALLOWED]);
}

/**
 * Chinese a page may show in English mode: data, not interface — the titles of the programmes
 * and channels of the first run and of this walk, the crawl typed in, category names kept as
 * the catalog holds them where no English exists, and the switch back to Chinese.
 */
const DATA_ZH = [
  "中文", "攀枝花电视台·演示频道", "攀枝花人民广播电台·演示频率", "欢迎收看攀枝花电视台", "米易损坏的上传",
  "攀枝花芒果种植技术（演示）", "米易县新闻（演示）", "盐边县防汛应急科普（演示）", "仁和区文化之旅（演示）",
  "攀枝花电视台台标宣传（演示）", "农业科技广播（演示）", "攀枝花新闻联播（演示）", "音乐时间（演示）",
  "公益广告·防火（演示）", "演示频道日模板", "全网管理员", "木棉首次运行时在本机生成的演示节目", "演示", "pzh-demo-tv", "pzh-demo-radio",
];

/** The visible text nodes of the page that hold Chinese outside the data above. */
async function chineseTexts(page) {
  return page.evaluate((data) => {
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      let text = n.textContent ?? "";
      if (!el || !/\p{Script=Han}/u.test(text)) continue;
      // A textarea holds the operator's text (an alert's message is broadcast in Chinese).
      if (el.closest("script, style, textarea, [hidden]")) continue;
      if (typeof el.checkVisibility === "function" && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      // A select shows its chosen option only.
      const option = el.closest("option");
      if (option && !option.selected) continue;
      for (const d of data) text = text.split(d).join("");
      if (/\p{Script=Han}/u.test(text)) bad.push((n.textContent ?? "").trim().slice(0, 120));
    }
    return [...new Set(bad)];
  }, DATA_ZH);
}

/**
 * The English walk: the language switch on the pages the roles visit, each checked for
 * Chinese outside the data and shot. `page` is signed in as the admin, on the monitor.
 */
export async function englishWalk(page, base, shot, checked) {
  const found = [];
  const english = async (where) => {
    const bad = await chineseTexts(page);
    checked.push(`${where} (en)`);
    if (bad.length) found.push(`Chinese text on ${where} in English mode:\n  ${bad.join("\n  ")}`);
  };
  await page.locator("#lang-switch").click();
  await page.getByRole("heading", { name: "On-air monitor" }).waitFor();
  await page.locator('article[data-slug="pzh-demo-tv"] dd.now').filter({ hasText: /\d\d:\d\d:\d\d/ }).waitFor({ timeout: 60_000 });
  await english("the monitor");
  await shot("en-monitor");
  const pages = [
    ["#/users", "#users tbody tr", "users"],
    ["#/audit", "#audit-log tbody tr", "audit"],
    ["#/channels", 'table.channels tr[data-slug="pzh-demo-tv"]', "channels"],
    ["#/jobs", "table.jobs tbody tr", "jobs"],
    ["#/reports", "#rp-producers table, #rp-producers p", "reports"],
    ["#/upload", "#up-zone", "upload"],
    ["#/catalog", "ul.results a.title", "catalog"],
    ["#/emergency", "#send-alert", "emergency"],
  ];
  for (const [hash, ready, name] of pages) {
    await page.goto(`${base}/${hash}`);
    await page.locator(ready).first().waitFor();
    await page.waitForTimeout(500); // what loads after the first row
    await english(`the ${name} page`);
    await shot(`en-${name}`);
  }
  await page.goto(`${base}/#/catalog`);
  await page.locator("ul.results a.title", { hasText: "米易县新闻（演示）" }).click();
  await page.getByRole("heading", { name: "米易县新闻（演示）" }).waitFor();
  await page.waitForTimeout(1000);
  await page.locator("#pg-language", { hasText: "Chinese (Mandarin)" }).waitFor();
  await english("a programme page");
  await shot("en-programme");
  await page.locator("#sign-out").click();
  await page.locator("#username").waitFor();
  await page.locator("#username").fill("admin");
  await page.locator("#password").fill("not-the-password");
  await page.locator("#password").press("Enter");
  await page.locator(".login-status").filter({ hasText: /[A-Za-z]/ }).waitFor();
  await english("the sign-in page with its error");
  await shot("en-login-error");
  if (found.length) fail(found.join("\n"));
}

/** Starts a fresh `kapok serve` (first run only) serving ui/dist; resolves with its URL. */
function startKapok(bin, dist, cleanups) {
  const data = mkdtempSync(path.join(tmpdir(), "kapok-ui-roles-"));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  const child = spawn(bin, ["serve"], {
    cwd: repo,
    env: { ...process.env, KAPOK_UI_DIR: dist, KAPOK_DATA: data, KAPOK_LISTEN: "127.0.0.1:0", KAPOK_ADMIN_PASSWORD: PASSWORD, RUST_LOG: "info" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  cleanups.push(() => child.kill("SIGTERM"));
  const log = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kapok serve did not start:\n${log.join("\n")}`)), 90_000);
    child.on("exit", (code) => reject(new Error(`kapok serve exited (${code}):\n${log.join("\n")}`)));
    createInterface({ input: child.stderr }).on("line", (line) => {
      if (log.length < 200) log.push(line);
      const m = /addr=(\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ base: `http://${m[1]}`, data });
      }
    });
  });
}

/** The walk; `opts`: bin, dist, artifacts, browserPath. */
export async function rolesWalk(opts) {
  const bin = opts.bin ?? process.env.KAPOK_BIN ?? path.join(repo, "target/debug/kapok");
  const dist = opts.dist ?? path.join(repo, "ui/dist");
  const artifacts = opts.artifacts ?? process.env.KAPOK_UI_ARTIFACTS ?? path.join(repo, "tests/artifacts/ui");
  const browserPath = opts.browserPath ?? process.env.CHROMIUM ?? "/usr/bin/chromium";
  mkdirSync(artifacts, { recursive: true });
  const cleanups = [];
  const checked = [];
  let page = null;
  try {
    const { base, data } = await startKapok(bin, dist, cleanups);
    console.log(`roles walk against ${base} (fresh first run)`);
    const profile = mkdtempSync(path.join(tmpdir(), "kapok-ui-roles-chromium-"));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browserPath,
      headless: true,
      locale: "zh-CN",
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"],
    });
    cleanups.push(() => context.close());
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    let step = 0;
    const shot = async (name) => {
      step += 1;
      const file = path.join(artifacts, `roles-${String(step).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`  ✓ ${name} (${path.relative(repo, file)})`);
    };
    /** The English check on the page as it is now. */
    const chinese = async (where) => {
      const bad = await englishTexts(page);
      checked.push(where);
      if (bad.length) fail(`English text on ${where} in zh-CN mode:\n  ${bad.join("\n  ")}`);
    };
    const nav = (name) => page.getByRole("navigation").getByRole("link", { name, exact: true }).click();
    const signIn = async (user, password) => {
      await page.locator("#username").fill(user);
      await page.locator("#password").fill(password);
      await page.locator("#password").press("Enter");
    };
    const signOut = async () => {
      await page.locator("#sign-out").click();
      await page.locator("#username").waitFor();
    };

    // 1. The admin: a wrong password first, said in Chinese.
    await page.goto(`${base}/`);
    await page.locator("#username").waitFor();
    await signIn("admin", "not-the-password");
    await page.locator(".login-status", { hasText: "用户名或密码不正确" }).waitFor();
    await chinese("the sign-in page with its error");
    await shot("login-error");
    await signIn("admin", PASSWORD);
    await page.getByRole("heading", { name: "播出监看" }).waitFor();

    // 2. The monitor: both demo channels; the radio card has a panel and a level meter.
    for (const slug of ["pzh-demo-tv", "pzh-demo-radio"]) await page.locator(`article[data-slug="${slug}"]`).waitFor({ timeout: 180_000 });
    const radio = page.locator('article[data-slug="pzh-demo-radio"]');
    await radio.locator(".radio-panel").waitFor();
    await page.waitForFunction(() => {
      const v = document.querySelector('article[data-slug="pzh-demo-radio"] video');
      return v instanceof HTMLVideoElement && !v.paused && v.currentTime > 0.5;
    }, undefined, { timeout: 120_000 });
    await radio.locator("button.meter-on").click();
    await page.waitForFunction(
      () => Number(document.querySelector('article[data-slug="pzh-demo-radio"] .radio-panel')?.getAttribute("data-level") ?? 0) > 0.2,
      undefined,
      { timeout: 30_000 },
    );
    // Now/next name what each channel's engine airs although no day is published: the first
    // run's cycle, fillers by title, with times to the second.
    const span = /\d\d:\d\d:\d\d–\d\d:\d\d:\d\d .*（演示）/;
    for (const slug of ["pzh-demo-tv", "pzh-demo-radio"]) {
      for (const dd of ["dd.now", "dd.next"]) {
        await page.locator(`article[data-slug="${slug}"] ${dd}`).filter({ hasText: span }).waitFor({ timeout: 120_000 });
      }
    }
    // Within 35 s the TV cycle airs its ident, named as a filler.
    await page
      .locator('article[data-slug="pzh-demo-tv"] dd[data-kind="filler"]', { hasText: "【垫片】攀枝花电视台台标宣传（演示）" })
      .first()
      .waitFor({ timeout: 160_000 });
    await chinese("the monitor");
    await shot("monitor-radio-meter");

    // 3. Users: the admin makes the 米易 editor and the 米易 emergency operator.
    await nav("用户");
    await page.locator("#users tbody tr").first().waitFor();
    for (const [name, role] of [["miyi-editor", "editor"], ["miyi-duty", "emergency_operator"]]) {
      await page.locator("#nu-username").fill(name);
      await page.locator("#nu-password").fill(PASSWORD);
      await page.locator("#nu-role").selectOption(role);
      await page.locator("#nu-centre").selectOption("510421");
      await page.locator("#nu-create").click();
      await page.locator(`#users tr[data-username="${name}"]`).waitFor();
    }
    await page.locator('#users tr[data-username="miyi-duty"]', { hasText: "应急值班员" }).waitFor();
    await chinese("the users page");
    await shot("users");
    await nav("操作日志");
    await page.locator('#audit-log tr[data-action="user.create"]').first().waitFor();
    // One query with the page's filters: 米易's user changes only.
    await page.locator("#au-kind").selectOption("user.");
    await page.locator("#au-centre").selectOption("510421");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#audit-log tbody tr[data-action]")];
      return rows.length === 2 && rows.every((r) => r.getAttribute("data-action") === "user.create");
    }, undefined, { timeout: 10_000 });
    const audited = await page.locator("#audit-log tbody").textContent();
    if (!audited?.includes("miyi-editor") || !audited.includes("miyi-duty")) fail(`the 米易 audit rows do not name the users: ${audited}`);
    if (!/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(audited)) fail(`the audit times lack seconds: ${audited}`);
    await chinese("the audit log");
    await shot("audit");
    // Channels: the slug pattern works; retiring asks first (declined here); a crawl is set.
    await nav("频道");
    await page.locator('table.channels tr[data-slug="pzh-demo-tv"]').waitFor();
    await page.locator("#new-slug").fill("Bad Slug");
    if (!(await page.locator("#new-slug").evaluate((el) => el.validity.patternMismatch))) fail("the slug pattern does not check");
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.locator('table.channels tr[data-slug="pzh-demo-radio"] button.retire').click();
    await page.waitForTimeout(500);
    if (!asked.includes("停用")) fail(`retiring did not ask first: ${asked}`);
    if (await page.locator('table.channels tr[data-slug="pzh-demo-radio"].retired').count()) fail("a declined retire retired the channel");
    const tvRow = page.locator('table.channels tr[data-slug="pzh-demo-tv"]');
    await tvRow.locator("details.extras summary").click();
    await tvRow.locator('input[id^="ch-crawl-"]').fill("欢迎收看攀枝花电视台");
    await tvRow.locator("button.save-extras").click();
    await page.locator("#ch-status", { hasText: "已保存" }).waitFor();
    await page.locator('table.channels tr[data-slug="pzh-demo-tv"] input[id^="ch-crawl-"]').evaluate((el) => {
      if (el.value !== "欢迎收看攀枝花电视台") throw new Error(`the crawl reads back as ${el.value}`);
    });
    await chinese("the channels page");
    await shot("channels");
    for (const [link, ready] of [
      ["转码任务", "table.jobs tbody tr"],
      ["报表", "#rp-producers table, #rp-producers p"],
    ]) {
      await nav(link);
      await page.locator(ready).first().waitFor();
      await chinese(`the admin's ${link} page`);
    }
    await signOut();

    // 4. The 米易 editor: no admin pages; the upload page refuses before sending.
    await signIn("miyi-editor", PASSWORD);
    await page.getByRole("heading", { name: "播出监看" }).waitFor();
    if (await page.getByRole("navigation").getByRole("link", { name: "用户" }).count()) fail("an editor is offered the users page");
    await nav("上传");
    const fake = path.join(data, "notes.mp4");
    writeFileSync(fake, "这不是视频，只是改了扩展名的文本文件。\n".repeat(20));
    await page.locator("#up-files").setInputFiles(fake);
    await page.locator('#up-list li.refused[data-name="notes.mp4"]', { hasText: "不是音视频文件" }).waitFor();
    await page.locator("#up-title").fill("长".repeat(201));
    await page.locator("#up-title-count.error", { hasText: "201 / 200" }).waitFor();
    await page.locator("#up-start").click();
    await page.locator("#up-status", { hasText: "标题超过 200 字" }).waitFor();
    await chinese("the upload page refusing a text file and a long title");
    await shot("upload-refused");
    // A file that starts like an MP4 but is not one: sent, then fails in processing.
    await nav("播出监看"); // leave and come back: a fresh form
    await nav("上传");
    await page.locator("#up-zone").waitFor();
    const broken = path.join(data, "broken.mp4");
    const head = Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2")]);
    writeFileSync(broken, Buffer.concat([head, Buffer.alloc(64 * 1024, 0x5a)]));
    await page.locator("#up-files").setInputFiles(broken);
    await page.locator('#up-list li[data-name="broken.mp4"]').waitFor();
    await page.locator("#up-title").fill("米易损坏的上传");
    await page.locator("#up-start").click();
    const failed = page.locator("#up-list li.failed .failure", { hasText: "处理失败：文件内容无法识别为音视频" });
    await failed.waitFor({ timeout: 120_000 });
    const all = await page.locator("#up-list").textContent();
    if (/\/work\/|\/tmp\/|job-/.test(all ?? "")) fail(`the upload page shows server paths: ${all}`);
    await chinese("the upload page with a failed upload");
    await shot("upload-failed-in-chinese");

    // 5. Jobs: the failed job with its title, its state in words, a time; no undefined row.
    await page.goto(`${base}/#/jobs`);
    await page.locator("table.jobs tr.job", { hasText: "米易损坏的上传" }).locator('td.job-state[data-status="dead"]').waitFor({ timeout: 60_000 });
    const jobs = await page.locator("table.jobs").textContent();
    if (/undefined/.test(jobs ?? "")) fail(`the jobs page shows undefined: ${jobs}`);
    await chinese("the jobs page");
    await shot("jobs");

    // 6. Delete the failed programme from its page.
    await page.locator("table.jobs tr.job a.job-title", { hasText: "米易损坏的上传" }).click();
    await page.locator("#pg-failed", { hasText: "处理失败" }).waitFor();
    // The upload's language (`zh-CN`) by its name.
    await page.locator("#pg-language", { hasText: "中文（普通话）" }).waitFor();
    await chinese("the failed programme's page");
    await shot("programme-failed");
    page.once("dialog", (d) => void d.accept());
    await page.locator("#pg-failed button.delete").click();
    await page.locator("#catalog-title").waitFor();

    // 6b. The catalog filtered to 米易's ready programmes, newest first; its programme page.
    await nav("节目库");
    await page.locator("#search-centre").selectOption("510421");
    await page.locator("#search-status").selectOption("ready");
    const hit = page.locator("ul.results a.title", { hasText: "米易县新闻（演示）" });
    await hit.waitFor();
    // The unfiltered list shows 米易's programme too: wait for the filtered answer.
    await page
      .waitForFunction(() => {
        const titles = [...document.querySelectorAll("ul.results a.title")].map((a) => a.textContent ?? "");
        return titles.length > 0 && titles.every((x) => x.includes("米易"));
      }, undefined, { timeout: 15_000 })
      .catch(async () => {
        const titles = await page.locator("ul.results a.title").allTextContents();
        fail(`the 米易 filter shows others' programmes: ${titles.join(", ")}`);
      });
    await page.locator("#page-no", { hasText: "第 1 页" }).waitFor();
    await chinese("the catalog filtered by centre and status");
    await shot("catalog-filtered");
    await hit.click();
    await page.getByRole("heading", { name: "米易县新闻（演示）" }).waitFor();
    await page.locator("#ed-save").waitFor(); // its own centre's editor may edit it
    // The catalog's default language (`普通话`) by its name, in the facts and the edit form.
    await page.locator("#pg-language", { hasText: "中文（普通话）" }).waitFor();
    const picked = await page.locator("#ed-language option:checked").textContent();
    if (picked !== "中文（普通话）") fail(`the edit form names the language ${picked}`);
    await chinese("a programme page");

    // 7. Reports: 米易's programme aired on the city TV channel (the first-run cycle airs
    // 米易县新闻（演示）), by producing centre; and the CSV.
    await nav("报表");
    const centre = await page.locator("#rp-centre").inputValue();
    if (centre !== "510421") fail(`the reports open on centre ${centre}, not 米易's`);
    const row = page.locator('#rp-producers tr[data-centre="510421"][data-channel="pzh-demo-tv"]', { hasText: "米易县新闻" });
    for (let i = 0; i < 36 && !(await row.count()); i++) {
      await page.waitForTimeout(5000);
      await page.locator("form.search button[type=submit]").click();
    }
    await row.first().waitFor({ timeout: 10_000 });
    const dur = await row.first().locator("td[data-hours]").textContent();
    if (!/^\d\d:\d\d:\d\d$/.test(dur ?? "")) fail(`the airtime is not HH:MM:SS: ${dur}`);
    await chinese("the reports by producing centre");
    await shot("reports-miyi-on-city-tv");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#rp-csv").click()]);
    const csvPath = path.join(artifacts, "roles-airtime.csv");
    await download.saveAs(csvPath);
    const csv = readFileSync(csvPath, "utf8");
    if (!csv.includes("米易县新闻（演示）") || !csv.includes("米易县")) fail(`the CSV lacks 米易's programme:\n${csv}`);
    await signOut();

    // 8. The 米易 emergency operator sends a drill and cancels it.
    await signIn("miyi-duty", PASSWORD);
    await page.getByRole("heading", { name: "播出监看" }).waitFor();
    await nav("应急广播");
    await page.locator(".banner.drill").first().waitFor();
    if (!(await page.locator("#drill").isChecked())) fail("the console does not start in drill mode");
    await page.locator("#send-alert").click();
    await page.locator("#confirm-dialog[open]").waitFor();
    await page.locator("#confirm-send").click();
    await page.locator("#receipt-outcome[data-outcome=accepted]").waitFor();
    await chinese("the emergency receipt");
    await shot("drill-sent");
    const key = await page.locator("#receipt-key").textContent();
    page.once("dialog", (d) => void d.accept());
    await page.locator("#alert-list button.cancel-alert").first().click();
    await page.locator('#receipt-transitions li[data-to="cancelled"]', { hasText: key ?? "?" }).waitFor();
    await chinese("the emergency page after the cancel");
    await shot("drill-cancelled");

    await signOut();

    // 9. English: the admin switches the language and walks the pages again.
    await signIn("admin", PASSWORD);
    await page.getByRole("heading", { name: "播出监看" }).waitFor();
    await englishWalk(page, base, shot, checked);

    if (problems.length) fail(`browser reported problems:\n${problems.join("\n")}`);
    console.log(`roles walk passed; English check on ${checked.length} pages: ${checked.join("; ")}`);
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(artifacts, "roles-failure.png"), fullPage: true }).catch(() => undefined);
    throw e;
  } finally {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch {
        /* best effort */
      }
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await rolesWalk({});
    process.exit(0);
  } catch (e) {
    console.error(`ui roles walk FAILED: ${e instanceof Error ? e.stack : e}`);
    process.exit(1);
  }
}
