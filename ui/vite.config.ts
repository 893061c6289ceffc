import { defineConfig } from "vite";

// Built assets are served by `kapok serve` from ui/dist; nothing is fetched from a CDN.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
});
