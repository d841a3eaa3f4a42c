import { VantResolver } from "@vant/auto-import-resolver";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { defineConfig } from "vitest/config";

// Served by the API under /app/ (api/webapp.py); `npm run dev` proxies the API.
export default defineConfig({
  base: "/app/",
  plugins: [
    vue(),
    // Vant components (and their CSS) imported where a template uses them, nothing else.
    Components({ resolvers: [VantResolver()], dts: false }),
  ],
  build: {
    target: "es2020",
    assetsInlineLimit: 2048,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
  },
});
