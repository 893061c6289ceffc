// End-to-end test of the browser UI in Debian's headless Chromium, driven by playwright-core,
// against a real `kapok serve` (its first run makes the demo channels on air).
//
// When kapok serves ui/dist at `/` itself (GET / answers the UI's index.html), the browser
// talks to kapok directly. Until then, this script serves ui/dist with a tiny static server
// (the same CSP as kapok's, index.html fallback) that proxies /api and /hls to kapok.
// KAPOK_UI_REQUIRE_ROUTE=1 makes the fallback an error (set it once the route is wired).
// kapok runs with its working directory at the repository root and KAPOK_UI_DIR=<repo>/ui/dist.
//
// Environment: KAPOK_BIN (default ../target/debug/kapok), CHROMIUM (default /usr/bin/chromium),
// KAPOK_UI_ARTIFACTS (default ../tests/artifacts/ui), KAPOK_UI_REQUIRE_ROUTE.
// Screenshots of each step are written to the artefacts directory.

import { execFileSync, spawn } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import * as steps from "./steps.mjs";
import { rolesWalk } from "./roles.mjs";
import * as scheduler from "./scheduler.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const uiDir = path.resolve(here, "..");
const repo = path.resolve(uiDir, "..");
const dist = path.join(uiDir, "dist");
const bin = process.env.KAPOK_BIN ?? path.join(repo, "target/debug/kapok");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = process.env.KAPOK_UI_ARTIFACTS ?? path.join(repo, "tests/artifacts/ui");
const PASSWORD = "ui-test-Password-1";
// The same policy as web/src/hardening.rs: what passes here passes behind kapok serve.
const CSP =
  "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; " +
  "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const cleanups = [];
let failureShot = null;
const fail = (msg) => {
  throw new Error(msg);
};

export const INGESTED_TITLE = "攀枝花芒果测试片";
export const UPLOADED_TITLE = "芒果上传测试片";

const clipPath = (data) => path.join(data, "clip.mp4");
let dataDir = "";

/** Ingests a generated 3 s clip (poster, proxy, QC and loudness) into the catalog of `data`. */
function ingestClip(data) {
  const clip = clipPath(data);
  execFileSync("ffmpeg", [
    "-v", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", clip,
  ]);
  const out = execFileSync(bin, ["ingest", clip, "--centre", "510400", "--title", INGESTED_TITLE, "--category", "涉农", "--wait"], {
    env: { ...process.env, KAPOK_DATA: data },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const p = JSON.parse(out.toString());
  if (p.status !== "ready") fail(`the ingested clip is ${p.status}: ${p.reason}`);
}

/** Starts `kapok serve` on port 0 in a fresh data dir (one clip ingested first); resolves with its base URL. */
function startKapok() {
  if (!existsSync(bin)) fail(`kapok binary not found at ${bin} (cargo build first, or set KAPOK_BIN)`);
  const data = mkdtempSync(path.join(tmpdir(), "kapok-ui-"));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  dataDir = data;
  ingestClip(data);
  const child = spawn(bin, ["serve"], {
    cwd: repo,
    env: {
      KAPOK_UI_DIR: dist,
      ...process.env,
      KAPOK_DATA: data,
      KAPOK_LISTEN: "127.0.0.1:0",
      KAPOK_ADMIN_PASSWORD: PASSWORD,
      // An upload left half-way is swept within seconds (steps.abandonedUpload), not a day.
      KAPOK_UPLOAD_EXPIRY_S: "15",
      RUST_LOG: "info",
    },
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
        resolve(`http://${m[1]}`);
      }
    });
  });
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

/** Serves ui/dist (index.html fallback) and proxies /api and /hls to `backend`. */
function startStatic(backend) {
  const target = new URL(backend);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/hls/")) {
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
      return;
    }
    let file = path.join(dist, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ""));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(dist, "index.html");
    res.writeHead(200, {
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
    });
    createReadStream(file).pipe(res);
  });
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

async function main() {
  if (!existsSync(browserPath)) {
    fail(`Chromium not found at ${browserPath}: install Debian's chromium (scripts/setup-debian.sh) or set CHROMIUM`);
  }
  if (!existsSync(path.join(dist, "index.html"))) fail("ui/dist is not built: run `npm run build` in ui/");
  mkdirSync(artifacts, { recursive: true });
  const kapok = await startKapok();
  const index = await fetch(`${kapok}/`).then((r) => (r.ok ? r.text() : ""), () => "");
  let base = kapok;
  if (index.includes('<div id="app">')) {
    console.log(`ui test against ${base} (kapok serves ui/dist)`);
  } else if (process.env.KAPOK_UI_REQUIRE_ROUTE) {
    fail(`kapok serve does not serve the UI at ${kapok}/ (KAPOK_UI_REQUIRE_ROUTE is set)`);
  } else {
    base = await startStatic(kapok);
    console.log(`ui test against ${base} (ui/dist served by the test, /api and /hls proxied to ${kapok})`);
  }

  const profile = mkdtempSync(path.join(tmpdir(), "kapok-ui-chromium-"));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    locale: "zh-CN",
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  failureShot = (file) => page.screenshot({ path: file, fullPage: true });
  let step = 0;
  const shot = async (name) => {
    step += 1;
    const file = path.join(artifacts, `${String(step).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`  ✓ ${name} (${path.relative(repo, file)})`);
  };

  // 1. Sign in (the page is in Chinese by default).
  await page.goto(`${base}/`);
  // By keyboard only: the username field has the focus, Tab to the password, Enter submits.
  await page.getByLabel("用户名").waitFor();
  await page.waitForFunction(() => document.activeElement?.id === "username");
  await page.keyboard.type("admin");
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await shot("sign-in");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "播出监看" }).waitFor();

  // 2. Both demo channels in the monitor, each preview playing (HLS through hls.js).
  for (const slug of ["pzh-demo-tv", "pzh-demo-radio"]) {
    await page.locator(`article[data-slug="${slug}"]`).waitFor({ timeout: 180_000 });
  }
  await page.waitForFunction(
    () => {
      const videos = [...document.querySelectorAll("article.channel video")];
      return videos.length >= 2 && videos.every((v) => !v.paused && v.readyState >= 2 && v.currentTime > 0.5);
    },
    undefined,
    { timeout: 120_000, polling: 500 },
  );
  await page.locator("article.channel .state.on").nth(1).waitFor();
  // hls.js transmuxes in its worker (our own script, allowed by the CSP), not on the page's thread.
  if (!page.workers().some((w) => w.url().endsWith("/hls.worker.js"))) {
    fail(`the previews play without hls.js's worker (workers: ${page.workers().map((w) => w.url()).join(", ") || "none"})`);
  }
  await shot("monitor-playing");

  // 3. The English switch, then back to Chinese.
  await page.locator("#lang-switch").click();
  await page.getByRole("heading", { name: "On-air monitor" }).waitFor();
  await page.getByRole("link", { name: "Catalog" }).waitFor();
  await shot("monitor-english");
  await page.locator("#lang-switch").click();
  await page.getByRole("heading", { name: "播出监看" }).waitFor();

  // 4. Catalog search in Chinese: the demo programme and the ingested clip, with its poster.
  await page.getByRole("link", { name: "节目库" }).click();
  await page.getByLabel("搜索节目（中文）").fill("芒果");
  await page.getByRole("button", { name: "搜索" }).click();
  const hit = page.locator("ul.results li", { hasText: INGESTED_TITLE });
  await hit.waitFor();
  await page.locator("ul.results a.title", { hasText: "攀枝花芒果种植技术" }).waitFor();
  // The unfiltered list may still be on screen for a moment before the search's answer.
  const onlyMango = await page
    .waitForFunction(
      () => [...document.querySelectorAll("ul.results a.title")].every((a) => a.textContent?.includes("芒果")),
      undefined,
      { timeout: 10_000, polling: 200 },
    )
    .then(() => true)
    .catch(() => false);
  const titles = await page.locator("ul.results a.title").allTextContents();
  if (!onlyMango) fail(`search 芒果 returned other titles: ${titles.join(", ")}`);
  await page.waitForFunction((title) => {
    const li = [...document.querySelectorAll("ul.results li")].find((x) => x.textContent?.includes(title));
    const img = li?.querySelector("img");
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
  }, INGESTED_TITLE);
  await shot("catalog-search");

  // 5. The programme: its proxy in the player, the QC verdict and the loudness figures.
  await hit.locator("a.title").click();
  await page.getByRole("heading", { name: INGESTED_TITLE }).waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector("#player");
    return v instanceof HTMLVideoElement && v.readyState >= 1 && v.duration > 2 && v.src.includes("/api/assets/");
  });
  await page.locator(".verdict.pass", { hasText: "通过" }).waitFor();
  const loud = await page.locator("table.loudness").textContent();
  if (!/-24\.0 LUFS/.test(loud ?? "")) fail(`the house loudness is not shown as -24.0 LUFS: ${loud}`);
  await shot("programme");
  await steps.editProgramme(page, shot);

  // 5b. Upload page (through tus when the server has /api/uploads), jobs and channels.
  const uploadClip = path.join(dataDir, "upload.mp4");
  const uploaded = await steps.upload(page, shot, uploadClip, UPLOADED_TITLE);
  if (uploaded) {
    await steps.abandonedUpload(page, shot, uploadClip, path.join(dataDir, "upload-abandoned.mp4"), "米易半途断线的上传");
  }
  await steps.jobsAndChannels(page, shot);
  // The programme scheduled: the uploaded one when the upload route exists.
  const onAirTitle = uploaded ? UPLOADED_TITLE : INGESTED_TITLE;

  // 5c. Today's playlist of the demo TV channel: generate, drag the clip in, publish; the
  // monitor shows it in now/next; the reports count its 涉农 airtime.
  await page.getByRole("link", { name: "播出监看" }).click();
  const tvId = await scheduler.schedulerDay(page, shot, onAirTitle, PASSWORD, steps.api);
  await scheduler.conflictBlockFit(page, shot, tvId, steps.api, PASSWORD);
  await steps.reports(page, shot);

  // 6. Emergency console: drill mode is marked; an actual JSON alert for 510400 goes out.
  await page.getByRole("link", { name: "应急广播" }).click();
  await page.locator(".banner.drill").first().waitFor();
  await shot("emergency-drill-mode");
  await page.getByLabel("演练模式（Exercise）").uncheck();
  await page.locator(".banner.actual").first().waitFor();
  await page.getByLabel("区域代码（逗号分隔）").fill("510400");
  await page.locator("#area-preview li", { hasText: "510400" }).waitFor();
  await page.locator("#send-alert").click();
  await page.locator("#confirm-dialog[open]").waitFor();
  await shot("emergency-confirm");
  await page.locator("#confirm-send").click();
  await page.locator("#receipt-outcome[data-outcome=accepted]").waitFor();
  const channels = await page.locator("#receipt-channels").textContent();
  for (const slug of ["pzh-demo-tv", "pzh-demo-radio"]) {
    if (!channels?.includes(slug)) fail(`the receipt does not name ${slug}: ${channels}`);
  }
  await page.locator("#alert-list tbody tr").first().waitFor();
  await shot("emergency-receipt");
  const key0 = await page.locator("#receipt-key").textContent();
  await steps.alertOnMonitor(page, shot);
  await page.getByRole("link", { name: "应急广播" }).click();
  await page.locator("#alert-list button.cancel-alert").first().waitFor();

  // 7. Cancel it from the list: a Cancel message referencing it; the receipt shows the alert
  // cancelled, and it leaves the list of live alerts.
  const key = key0;
  page.once("dialog", (d) => void d.accept());
  await page.locator("#alert-list button.cancel-alert").first().click();
  await page.locator('#receipt-transitions li[data-to="cancelled"]', { hasText: key ?? "?" }).waitFor();
  await page.locator("#alert-list button.cancel-alert").waitFor({ state: "detached" });
  await shot("emergency-cancelled");

  // 8. A county's emergency operator (米易, 510421), made by the admin: the console proposes
  // 米易's own area and a headline whose colour matches the severity; an alert for 米易
  // reaches none of the (city) demo channels and the receipt says so; the operator cancels
  // it from the list.
  const made = await page.evaluate(async (password) => {
    const r = await fetch("/api/users", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": sessionStorage.getItem("kapok.csrf") ?? "" },
      body: JSON.stringify({ username: "miyi-duty", password, role: "emergency_operator", centre: "510421" }),
    });
    return r.status;
  }, PASSWORD);
  if (made !== 201 && made !== 200) fail(`creating the 米易 operator answered ${made}`);
  await page.getByRole("button", { name: "退出" }).click();
  await page.getByLabel("用户名").waitFor();
  await page.getByLabel("用户名").fill("miyi-duty");
  await page.getByLabel("密码").fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "播出监看" }).waitFor();
  await page.getByRole("link", { name: "应急广播" }).click();
  const area = await page.getByLabel("区域代码（逗号分隔）").inputValue();
  if (area !== "510421") fail(`the 米易 operator's form proposes ${area}, not 510421`);
  await page.locator("#al-severity").selectOption("Moderate");
  const proposed = await page.locator("#al-headline").inputValue();
  if (proposed !== "暴雨黄色预警") fail(`severity Moderate proposes the headline ${proposed}`);
  await page.getByLabel("演练模式（Exercise）").uncheck();
  await page.locator("#send-alert").click();
  await page.locator("#confirm-dialog[open]").waitFor();
  await page.locator("#confirm-send").click();
  await page.locator("#receipt-outcome[data-outcome=accepted]").waitFor();
  await page.locator("#receipt-note", { hasText: "未在任何频道插播" }).waitFor();
  await shot("county-receipt-no-channel");
  const countyKey = await page.locator("#receipt-key").textContent();
  if (!countyKey?.includes("510421")) fail(`the county alert's sender is not 米易's: ${countyKey}`);
  page.once("dialog", (d) => void d.accept());
  await page.locator("#alert-list button.cancel-alert").first().click();
  await page.locator('#receipt-transitions li[data-to="cancelled"]', { hasText: countyKey ?? "?" }).waitFor();
  await shot("county-cancelled-own");

  if (problems.length) fail(`browser reported problems:\n${problems.join("\n")}`);
  // Every role but the scheduler on a fresh first run (issue 18): ./roles.mjs.
  await rolesWalk({ bin, dist, artifacts, browserPath });
  console.log("ui browser test passed");
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(`ui browser test FAILED: ${e instanceof Error ? e.stack : e}`);
  code = 1;
  if (failureShot) {
    const file = path.join(artifacts, "failure.png");
    await failureShot(file).catch(() => undefined);
    console.error(`screenshot of the failure: ${file}`);
  }
} finally {
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch {
      /* best effort */
    }
  }
}
process.exit(code);
