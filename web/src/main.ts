import { createApp } from "vue";
// Vant's function APIs (toast, dialog) bring their styles explicitly; components that
// templates use are imported with their styles by the resolver (vite.config.ts).
import "vant/es/toast/style";
import "vant/es/dialog/style";
import "vant/es/image-preview/style";
import App from "./App.vue";
import { prefetchAfterLoad } from "./prefetch";
import { router } from "./router";
import "./styles.css";

createApp(App).use(router).mount("#app");
// The officer's phone: what an earlier visit left unsent goes out, and duty resumes.
void import("./offline").then((m) => m.theOutbox());
void import("./duty").then((m) => m.resumeDuty());
// The officer's pages, fetched after the first one is shown (src/prefetch.ts).
prefetchAfterLoad();
