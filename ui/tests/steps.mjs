// The browser test's steps for the pages added after the first five: programme editing,
// upload (when the server has /api/uploads), the monitor's now/next and alert state, jobs,
// channels and reports (the scheduler's journey is in scheduler.mjs). Each takes the Playwright page and a `shot(name)`.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const fail = (msg) => {
  throw new Error(msg);
};

/** Calls the API from the signed-in page (cookie + the tab's CSRF token). */
export function api(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const headers = { Accept: "application/json", "X-CSRF-Token": sessionStorage.getItem("kapok.csrf") ?? "" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: await r.text() };
    },
    [method, path, body],
  );
}

/** Edits the open programme's description; the save and its audit entry show. */
export async function editProgramme(page, shot) {
  await page.locator("#ed-description").fill("浏览器测试修改的简介");
  await page.locator("#ed-save").click();
  await page.locator("#ed-status", { hasText: "已保存" }).waitFor();
  await page.locator("#audit tbody tr", { hasText: "修改节目信息" }).first().waitFor();
  await shot("programme-edited");
}

/** Uploads a clip through the upload page when the server has the tus route; returns whether it did. */
export async function upload(page, shot, clipPath, title) {
  execFileSync("ffmpeg", [
    "-v", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
    "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration=4",
    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", clipPath,
  ]);
  const doc = JSON.parse((await api(page, "GET", "/api/openapi.json")).body);
  await page.getByRole("link", { name: "上传" }).click();
  await page.locator("#up-zone").waitFor();
  await page.locator("#up-files").setInputFiles(clipPath);
  await page.locator("#up-list li").first().waitFor();
  await page.locator("#up-title").fill(title);
  await page.locator("#up-category").selectOption("涉农");
  if (!doc.paths?.["/api/uploads"]) {
    await shot("upload-form");
    console.log("  - /api/uploads is not served yet: the clip came in by `kapok ingest`");
    return false;
  }
  // The first PATCH's connection drops: the page asks HEAD for the offset and resumes.
  let patches = 0;
  const uploadUrl = /\/api\/uploads\/[^/?]+$/;
  await page.route(uploadUrl, (route) => {
    if (route.request().method() === "PATCH" && patches++ === 0) return route.abort("connectionreset");
    return route.continue();
  });
  await page.locator("#up-start").click();
  await page.locator("#up-list li.done").first().waitFor({ timeout: 60_000 });
  await page.unroute(uploadUrl);
  if (patches < 2) fail(`the upload did not resume after the dropped PATCH (${patches} PATCH requests)`);
  await shot("upload-done");
  const link = page.locator("#up-list li.done a");
  const href = await link.getAttribute("href");
  const id = decodeURIComponent((href ?? "").split("/").pop() ?? "");
  // Ready once its ingest job has run.
  for (let i = 0; i < 120; i++) {
    const p = JSON.parse((await api(page, "GET", `/api/programmes/${id}`)).body);
    if (p.status === "ready") return true;
    if (p.status === "failed") fail(`the uploaded clip failed: ${p.reason}`);
    await page.waitForTimeout(1000);
  }
  fail("the uploaded clip was not ready within 2 minutes");
}

/**
 * An upload that stops after its first chunk and is never resumed (the tab reloaded, the
 * upload not picked again): the server's sweeper (KAPOK_UPLOAD_EXPIRY_S of the test server)
 * fails its programme, and the programme page says so in words, offers delete but not
 * retry (nothing of it is kept), and names the sweeper in the audit.
 */
export async function abandonedUpload(page, shot, mp4, clipPath, title) {
  // A real MP4 (`mp4`: the page sniffs its head) and 9 MiB more: the first 8 MiB chunk lands.
  writeFileSync(clipPath, Buffer.concat([readFileSync(mp4), Buffer.alloc(9 << 20)]));
  await page.getByRole("link", { name: "上传" }).click();
  await page.locator("#up-zone").waitFor();
  await page.locator("#up-files").setInputFiles(clipPath);
  if ((await page.locator("#up-list li").count()) !== 1) fail("the upload list still holds the finished upload");
  await page.locator("#up-title").fill(title);
  await page.locator("#up-category").selectOption("涉农");
  let patches = 0;
  const uploadUrl = /\/api\/uploads\/[^/?]+$/;
  await page.route(uploadUrl, (route) => {
    if (route.request().method() === "PATCH" && patches++ > 0) return route.abort("connectionreset");
    return route.continue();
  });
  const created = page.waitForResponse((r) => r.request().method() === "POST" && /\/api\/uploads$/.test(r.url()));
  await page.locator("#up-start").click();
  const id = (await created).headers()["kapok-programme-id"];
  await page.locator("#up-list li", { hasText: "续传" }).first().waitFor({ timeout: 30_000 });
  await page.unroute(uploadUrl);
  await page.reload(); // the upload's script is gone with the page
  let p;
  for (let i = 0; ; i++) {
    p = JSON.parse((await api(page, "GET", `/api/programmes/${id}`)).body);
    if (p?.status === "failed") break;
    if (i >= 90) fail(`the abandoned upload was not swept within 90 s: ${JSON.stringify(p)}`);
    await page.waitForTimeout(1000);
  }
  // Only the file picked now was sent (the clip uploaded before it stays done, not sent again).
  if (p.title !== title) fail(`the upload is titled ${p.title}, not ${title}`);
  if (!/^upload abandoned: 8388608 of /.test(p.reason ?? "")) fail(`unexpected reason: ${p.reason}`);
  await page.goto(page.url().replace(/#.*$/, `#/programme/${encodeURIComponent(p.id)}`));
  await page.locator(".failure .why", { hasText: "上传中断" }).waitFor();
  if (await page.locator(".failure button.retry").count()) fail("an abandoned upload offers 重新处理, but nothing of it is kept");
  await page.locator(".failure button.delete").waitFor();
  await page.locator("#audit tbody tr", { hasText: "系统（上传清理）" }).waitFor();
  await shot("upload-abandoned-and-swept");
}

/** Jobs (live) and channels pages render. */
export async function jobsAndChannels(page, shot) {
  await page.getByRole("link", { name: "转码任务" }).click();
  await page.locator("table.jobs tbody tr").first().waitFor();
  await page.locator("#jobs-live.on").waitFor();
  await shot("jobs");
  await page.getByRole("link", { name: "频道", exact: true }).click();
  await page.locator('table.channels tr[data-slug="pzh-demo-tv"]').waitFor();
  await shot("channels");
}

/** The monitor shows the clip in the TV channel's now/next. */
export async function onAir(page, shot, title) {
  await page.getByRole("link", { name: "播出监看" }).click();
  const tv = page.locator('article[data-slug="pzh-demo-tv"]');
  await tv.locator("dl.now-next dd", { hasText: title }).waitFor({ timeout: 30_000 });
  await shot("monitor-now-next");
}

/** The monitor shows a live alert on both demo channels. */
export async function alertOnMonitor(page, shot) {
  await page.getByRole("link", { name: "播出监看" }).click();
  for (const slug of ["pzh-demo-tv", "pzh-demo-radio"]) {
    await page.locator(`article[data-slug="${slug}"] .alert-state .alert-badge`).waitFor({ timeout: 20_000 });
  }
  await shot("monitor-alert");
}

/** Reports: the airtime chart and table with the clip's 涉农 seconds for the network centre. */
export async function reports(page, shot) {
  await page.getByRole("link", { name: "报表" }).click();
  // Only what aired counts: the clip (inserted two minutes ahead) once it has aired.
  const agriCell = page.locator('#rp-airtime tr[data-centre="510400"] td.agri');
  let agri = null;
  for (let i = 0; i < 40; i++) {
    agri = (await agriCell.count()) ? await agriCell.getAttribute("data-hours") : null;
    if (Number(agri) > 0) break;
    await page.waitForTimeout(5000);
    await page.locator("form.search button[type=submit]").click();
  }
  await page.locator("#rp-airtime svg.chart").waitFor();
  if (!(Number(agri) > 0)) fail(`no agricultural airtime reported: ${agri}`);
  await shot("reports");
}
