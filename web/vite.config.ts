import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { VantResolver } from "@vant/auto-import-resolver";
import vue from "@vitejs/plugin-vue";
import type { Plugin } from "vite";
import Components from "unplugin-vue-components/vite";
import { defineConfig } from "vitest/config";

/** Vant's icon font, self-hosted. Vant's CSS inlines it as a base64 woff2 (34 KB in the
 *  render-blocking CSS of every page) with fallbacks on at.alicdn.com, which the page's
 *  CSP refuses and an isolated network cannot reach. This takes the woff2 out of Vant's
 *  own CSS (so the glyphs always match its class names) into a hashed asset of the build,
 *  and leaves no outside URL. */
export function selfHostedVantIcons(): Plugin {
  const font = resolve(__dirname, "node_modules/.offsite/vant-icon.woff2");
  return {
    name: "offsite:self-hosted-vant-icons",
    enforce: "pre",
    transform(code, id) {
      if (!id.replace(/\\/g, "/").endsWith("vant/es/icon/index.css")) return null;
      const face = /src:\s*url\(data:font\/woff2;[^,]*base64,([A-Za-z0-9+/=]+)\)\s*format\("woff2"\)[^;}]*/;
      const found = face.exec(code);
      if (!found?.[1]) this.error("Vant's icon CSS no longer inlines a woff2: update the plugin");
      mkdirSync(dirname(font), { recursive: true });
      writeFileSync(font, Buffer.from(found[1], "base64"));
      const url = relative(dirname(id), font).replace(/\\/g, "/");
      const out = code.replace(face, `src:url("${url}") format("woff2")`);
      if (/alicdn|url\(\/\//.test(out)) this.error("Vant's icon CSS still names an outside URL");
      return { code: out, map: null };
    },
  };
}

// Served by the API under /app/ (api/webapp.py); `npm run dev` proxies the API.
export default defineConfig({
  base: "/app/",
  plugins: [
    selfHostedVantIcons(),
    vue(),
    // Vant components (and their CSS) imported where a template uses them, nothing else.
    Components({ resolvers: [VantResolver()], dts: false }),
  ],
  build: {
    target: "es2020",
    assetsInlineLimit: 2048,
    // ECharts (with zrender) in a chunk of its own, named so the build's output shows it,
    // loaded by the dashboard's pages only. Tree-shaken it is still ~555 kB minified
    // (~190 kB gzip), above Rollup's default warning.
    chunkSizeWarningLimit: 640,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: "echarts", test: /node_modules[\\/](echarts|zrender)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
  },
});
