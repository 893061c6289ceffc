import Hls from "hls.js";
import * as api from "../api";
import { h, mount } from "../dom";
import { centreName, t, word } from "../i18n";
import type { Page } from "../page";
import * as sch from "../schedule";
import { asRunTable } from "./asrun";

/** Whether a live alert reaches `c`: the alert's own channel list when it has one, else its area codes. */
function reaches(a: api.Tracked, c: api.Channel): boolean {
  const listed = (a as { channels?: Array<string | { slug?: string; channel?: string }> }).channels;
  if (Array.isArray(listed)) return listed.some((x) => (typeof x === "string" ? x : (x.slug ?? x.channel)) === c.slug);
  return a.alert.areas.some((ar) => ar.codes.some((code) => code === "510400" || code === c.centre));
}

const hhmm = (s: string) => sch.localClock(new Date(s)).slice(0, 5);

/** Attaches the channel's HLS preview to `video`; returns a clean-up. */
function attach(video: HTMLVideoElement, slug: string): () => void {
  const src = `/hls/${encodeURIComponent(slug)}/index.m3u8`;
  if (Hls.isSupported()) {
    // No worker: the server's CSP allows no blob: scripts.
    const hls = new Hls({ enableWorker: false, liveSyncDurationCount: 3 });
    let retry: ReturnType<typeof setTimeout> | undefined;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => void video.play().catch(() => undefined));
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.fatal && data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        retry = setTimeout(() => hls.loadSource(src), 3000);
      } else if (data.fatal && data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      }
    });
    return () => {
      clearTimeout(retry);
      hls.destroy();
    };
  }
  video.src = src; // Safari plays HLS natively.
  void video.play().catch(() => undefined);
  return () => video.removeAttribute("src");
}

/** One channel's card: name, kind, centre, preview and whether it is playing. */
function card(c: api.Channel, cleanups: Array<() => void>, live: { alerts: api.Tracked[] }): HTMLElement {
  const video = h("video", {
    muted: true,
    autoplay: true,
    playsinline: true,
    controls: true,
    "aria-label": `${t("preview")}: ${c.name}`,
  });
  video.muted = true;
  const state = h("span", { class: "state off", role: "status" }, t("notPlaying"));
  const update = () => {
    const on = !video.paused && video.readyState >= 2 && video.currentTime > 0;
    state.textContent = on ? t("playing") : t("notPlaying");
    state.className = on ? "state on" : "state off";
  };
  for (const ev of ["timeupdate", "pause", "waiting", "playing"]) video.addEventListener(ev, update);
  cleanups.push(attach(video, c.slug));
  const kind = c.kind === "radio" ? t("radio") : t("tv");
  const nowNext = h("dl", { class: "now-next", "aria-live": "polite" });
  const alarm = h("p", { class: "alert-state", role: "status", hidden: true });
  const runs = h("div", { class: "asrun-box" });
  // Fallbacks (slate, a missing file, a dead relay) of the last two hours, outside the folded as-run.
  const fallback = h("p", { class: "alarm fallback-alarm", role: "status", hidden: true });
  const poll = async () => {
    const nn = await sch.nowNext(c.id).catch(() => null);
    const entry = (e: sch.GuideEntry | null | undefined) => (e ? `${hhmm(e.start)}–${hhmm(e.stop)} ${e.title}` : t("nothing"));
    mount(nowNext, h("dt", {}, t("now")), h("dd", { class: "now" }, entry(nn?.now)), h("dt", {}, t("next")), h("dd", { class: "next" }, entry(nn?.next)));
    const mine = live.alerts.filter((a) => reaches(a, c));
    alarm.hidden = mine.length === 0;
    mount(alarm, mine.map((a) => h("span", { class: `alert-badge ${a.alert.status === "Exercise" ? "drill" : "actual"}` }, `${a.alert.status === "Exercise" ? `【${t("drillTag")}】` : ""}${t("liveAlert")}: ${a.alert.headline ?? a.alert.event} · ${word("st_", a.state)}`)));
  };
  const pollRuns = async () => {
    const a = await sch.asRun(c.id, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() + 60_000)).catch(() => null);
    if (!a) return;
    mount(runs, asRunTable(a.entries, a.fallbacks, 8));
    fallback.hidden = a.fallbacks === 0;
    fallback.textContent = `${t("fallbackAlarm")}: ${a.fallbacks}`;
  };
  void poll();
  void pollRuns();
  const timers = [setInterval(() => void poll(), 5000), setInterval(() => void pollRuns(), 15000)];
  cleanups.push(() => timers.forEach(clearInterval));
  return h(
    "article",
    { class: "card channel", "data-slug": c.slug },
    h("h2", {}, c.name),
    h("p", { class: "meta" }, `${kind} · ${centreName(c.centre)} · ${c.slug}`),
    video,
    state,
    alarm,
    fallback,
    nowNext,
    h("a", { href: `#/channel/${encodeURIComponent(c.id)}/day/today`, class: "edit-day" }, t("edit")),
    h("details", {}, h("summary", {}, t("asRun")), runs),
  );
}

/** Every channel's HLS preview; channels that appear later (first run, new channels) are added. */
export function monitorPage(): Page {
  const grid = h("div", { class: "grid monitor" }, t("loading"));
  const cleanups: Array<() => void> = [];
  const shown = new Set<string>();
  const live = { alerts: [] as api.Tracked[] };
  const el = h(
    "section",
    { "aria-labelledby": "monitor-title" },
    h("h1", { id: "monitor-title" }, t("monitor")),
    grid,
  );
  const load = () =>
    api
      .channels()
      .then((list) => {
        if (shown.size === 0) mount(grid, list.length === 0 ? h("p", {}, t("noChannels")) : null);
        for (const c of list.filter((c) => !shown.has(c.slug))) {
          shown.add(c.slug);
          grid.append(card(c, cleanups, live));
        }
      })
      .catch((e: Error) => {
        if (shown.size === 0) mount(grid, h("p", { class: "error", role: "alert" }, `${t("error")}: ${e.message}`));
      });
  const loadAlerts = () =>
    api
      .alerts()
      .then((a) => {
        live.alerts = a;
      })
      .catch(() => undefined);
  void loadAlerts();
  void load();
  const timer = setInterval(() => {
    void load();
    void loadAlerts();
  }, 5000);
  return {
    el,
    dispose: () => {
      clearInterval(timer);
      cleanups.forEach((f) => f());
    },
  };
}
