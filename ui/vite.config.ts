import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";

// hls.js transmuxes in a worker loaded from our own origin (the CSP allows no blob: scripts):
// its worker script, of the same hls.js version, is copied beside index.html.
const hlsWorker: Plugin = {
  name: "hls-worker",
  generateBundle() {
    const source = readFileSync(new URL("./node_modules/hls.js/dist/hls.worker.js", import.meta.url), "utf8");
    this.emitFile({ type: "asset", fileName: "hls.worker.js", source });
  },
};

// Built assets are served by `kapok serve` from ui/dist; nothing is fetched from a CDN.
export default defineConfig({
  base: "/",
  plugins: [hlsWorker],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
});
