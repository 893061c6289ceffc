import Hls from "hls.js";
import * as api from "../api";
import { h, mount } from "../dom";
import { centreName, t } from "../i18n";
import type { Page } from "../page";

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
function card(c: api.Channel, cleanups: Array<() => void>): HTMLElement {
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
  return h(
    "article",
    { class: "card channel", "data-slug": c.slug },
    h("h2", {}, c.name),
    h("p", { class: "meta" }, `${kind} · ${centreName(c.centre)} · ${c.slug}`),
    video,
    state,
  );
}

/** Every channel's HLS preview; channels that appear later (first run, new channels) are added. */
export function monitorPage(): Page {
  const grid = h("div", { class: "grid monitor" }, t("loading"));
  const cleanups: Array<() => void> = [];
  const shown = new Set<string>();
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
          grid.append(card(c, cleanups));
        }
      })
      .catch((e: Error) => {
        if (shown.size === 0) mount(grid, h("p", { class: "error", role: "alert" }, `${t("error")}: ${e.message}`));
      });
  void load();
  const timer = setInterval(() => void load(), 5000);
  return {
    el,
    dispose: () => {
      clearInterval(timer);
      cleanups.forEach((f) => f());
    },
  };
}
