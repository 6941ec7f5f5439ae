/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

// The three pages; each becomes dist/<name>.html, served by server/edge/pages.py.
const PAGES = ["hall", "phone", "moderate"] as const;
// server/edge/pages.py replaces exactly this string with the page's config.
const PLACEHOLDER = readFileSync(new URL("./src/lib/config.ts", import.meta.url), "utf8").match(
  /CONFIG_PLACEHOLDER = '([^']+)'/,
)?.[1];

/** Fail the build if a built page lost the config placeholder or loads from another host. */
function checkPages(): Plugin {
  return {
    name: "matchboard-check-pages",
    apply: "build",
    writeBundle(_options, bundle) {
      if (!PLACEHOLDER) this.error("CONFIG_PLACEHOLDER not found in src/lib/config.ts");
      for (const page of PAGES) {
        const asset = bundle[`${page}.html`];
        const html = asset?.type === "asset" ? String(asset.source) : "";
        if (!html.includes(PLACEHOLDER!)) this.error(`${page}.html lost the config placeholder`);
        if (/(src|href)="(https?:)?\/\//.test(html)) this.error(`${page}.html loads from another host`);
      }
    },
  };
}

export default defineConfig({
  base: "/static/", // the server mounts dist/ at /static
  appType: "mpa",
  plugins: [checkPages()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: Object.fromEntries(PAGES.map((p) => [p, fileURLToPath(new URL(`./${p}.html`, import.meta.url))])),
    },
  },
  server: {
    // `npm run dev` next to a running server (scripts/demo): the WebSocket goes through.
    proxy: { "/ws": { target: "ws://127.0.0.1:8000", ws: true }, "/api": "http://127.0.0.1:8000" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
