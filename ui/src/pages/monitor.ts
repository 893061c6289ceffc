import Hls from "hls.js";
import * as api from "../api";
import { h, mount } from "../dom";
import { centreName, lang, t, word } from "../i18n";
import type { Page } from "../page";
import * as sch from "../schedule";
import { asRunTable } from "./asrun";

/** Whether a live alert reaches `c`: the alert's own channel list when it has one, else its area codes. */
function reaches(a: api.Tracked, c: api.Channel): boolean {
  const listed = (a as { channels?: Array<string | { slug?: string; channel?: string }> }).channels;
  if (Array.isArray(listed)) return listed.some((x) => (typeof x === "string" ? x : (x.slug ?? x.channel)) === c.slug);
  return a.alert.areas.some((ar) => ar.codes.some((code) => code === "510400" || code === c.centre));
}

/** One item the channel's engine airs (`airing` of now-next). */
interface AiringItem {
  kind: "programme" | "filler" | "slate" | "live" | "alert";
  title?: string | null;
  start?: string | null;
  stop?: string | null;
}

/** The now-next answer: the published guide's, and what the engine airs. */
interface NowNextAnswer {
  now: sch.GuideEntry | null;
  next: sch.GuideEntry | null;
  on_air?: sch.GuideEntry | null;
  airing?: { now: AiringItem; next: AiringItem | null } | null;
}

/** A time of day with seconds (UTC+8), as the monitor shows it. */
const hhmm = (s: string) => sch.localClock(new Date(s)).slice(0, 8);

/** Attaches the channel's HLS preview to `video`; returns a clean-up. */
function attach(video: HTMLVideoElement, slug: string): () => void {
  const src = `/hls/${encodeURIComponent(slug)}/index.m3u8`;
  if (Hls.isSupported()) {
    // Transmuxing in a worker, so the page answers clicks while three channels play; the
    // worker script is ours (ui/vite.config.ts), as the server's CSP allows no blob: scripts.
    const hls = new Hls({ enableWorker: true, workerPath: "/hls.worker.js", liveSyncDurationCount: 3 });
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

/**
 * The radio preview's panel: a level meter fed by an analyser on the preview's audio, started
 * by the operator (browsers start audio on a gesture only). The analyser reads the samples
 * before a zero gain, so the meter moves while nothing is heard.
 */
function radioPanel(video: HTMLVideoElement, cleanups: Array<() => void>): HTMLElement {
  const level = h("meter", { class: "audio-meter", min: 0, max: 1, low: 0.6, high: 0.85, optimum: 0.3, value: 0, "aria-label": t("audioLevel") });
  const panel = h("div", { class: "radio-panel", role: "group", "aria-label": t("radioPanel") }, h("p", {}, t("radioPanel")), h("label", {}, t("audioLevel"), " ", level));
  let ctx: AudioContext | null = null;
  let raf = 0;
  const start = () => {
    if (ctx) return;
    try {
      ctx = new AudioContext();
      const src = ctx.createMediaElementSource(video);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      const mute = ctx.createGain();
      mute.gain.value = 0;
      src.connect(analyser);
      analyser.connect(mute);
      mute.connect(ctx.destination);
      video.muted = false;
      const buf = new Float32Array(analyser.fftSize);
      const tick = () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const rms = Math.sqrt(sum / buf.length);
        // dBFS from -60 to 0 onto 0..1.
        level.value = Math.max(0, Math.min(1, (20 * Math.log10(rms || 1e-6) + 60) / 60));
        panel.dataset.level = level.value.toFixed(2);
        raf = requestAnimationFrame(tick);
      };
      void ctx.resume().catch(() => undefined);
      tick();
    } catch {
      /* no Web Audio: the panel still says what the channel is */
    }
  };
  // Browsers start audio only on a gesture: the operator turns the meter on.
  panel.append(h("button", { type: "button", class: "meter-on", onclick: start }, t("meterOn")));
  cleanups.push(() => {
    cancelAnimationFrame(raf);
    void ctx?.close().catch(() => undefined);
  });
  return panel;
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
  // A radio channel has no picture: a panel says so and shows the audio level (measured
  // from the stream while the preview stays muted).
  const radio = c.kind === "radio" ? radioPanel(video, cleanups) : null;
  if (radio) video.classList.add("audio-only");
  const kind = c.kind === "radio" ? t("radio") : t("tv");
  const nowNext = h("dl", { class: "now-next", "aria-live": "polite" });
  const alarm = h("p", { class: "alert-state", role: "status", hidden: true });
  const runs = h("div", { class: "asrun-box" });
  let lastAired: sch.AsRun | null = null;
  // Fallbacks (slate, a missing file, a dead relay) of the last two hours, outside the folded as-run.
  const fallback = h("p", { class: "alarm fallback-alarm", role: "status", hidden: true });
  const poll = async () => {
    const nn = (await sch.nowNext(c.id).catch(() => null)) as NowNextAnswer | null;
    const mine = live.alerts.filter((a) => reaches(a, c));
    const entry = (e: sch.GuideEntry | null | undefined) =>
      e ? `${hhmm(e.start)}–${hhmm(e.stop)} ${e.kind && e.kind !== "programme" ? `【${word("kind_", e.kind)}】` : ""}${e.title}` : t("nothing");
    // What the engine airs (a fresh server's cycle, fillers, slate, live, an alert), published
    // day or not; the published guide where this server does not air the channel.
    const airing = (a: AiringItem) => {
      const span = a.start ? `${hhmm(a.start)}–${a.stop ? hhmm(a.stop) : ""} ` : "";
      const alert = a.kind === "alert" ? (mine[0]?.alert.headline ?? mine[0]?.alert.event ?? "") : "";
      const title = a.kind === "alert" ? alert : (a.title ?? "");
      const tag = a.kind === "programme" ? "" : lang() === "en" ? `[${word("kind_", a.kind)}] ` : `【${word("kind_", a.kind)}】`;
      return `${span}${tag}${title}`.trim();
    };
    const now = nn?.airing
      ? airing(nn.airing.now)
      : nn?.now
        ? entry(nn.now)
        : nn?.on_air
          ? entry(nn.on_air)
          : lastAired
            ? `${t("justAired")}：${lastAired.title ?? "—"}（${hhmm(lastAired.actual_start)}，${word("out_", lastAired.outcome)}）`
            : t("onAirFiller");
    const next = nn?.airing?.next ? airing(nn.airing.next) : entry(nn?.next);
    const kind = nn?.airing?.now.kind ?? nn?.now?.kind ?? nn?.on_air?.kind ?? "";
    mount(
      nowNext,
      h("dt", {}, t("now")),
      h("dd", { class: "now", "data-kind": kind }, now),
      h("dt", {}, t("next")),
      h("dd", { class: "next", "data-kind": nn?.airing?.next?.kind ?? nn?.next?.kind ?? "" }, next),
    );
    alarm.hidden = mine.length === 0;
    mount(alarm, mine.map((a) => h("span", { class: `alert-badge ${a.alert.status === "Exercise" ? "drill" : "actual"}` }, `${a.alert.status === "Exercise" ? `【${t("drillTag")}】` : ""}${t("liveAlert")}: ${a.alert.headline ?? a.alert.event} · ${word("st_", a.state)}`)));
  };
  const pollRuns = async () => {
    const a = await sch.asRun(c.id, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() + 60_000)).catch(() => null);
    if (!a) return;
    lastAired = a.entries[a.entries.length - 1] ?? null;
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
    radio,
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
