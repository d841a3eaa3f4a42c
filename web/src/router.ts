import { createRouter, createWebHistory } from "vue-router";
import { api } from "./api";
import { isDistrict, isLeader } from "./auth/roles";
import TasksView from "./views/TasksView.vue";

// One chunk per page, but my tasks (the first screen) is in the entry chunk.
export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue") },
    // My tasks is the officer's first screen: in the entry chunk, so its code comes with
    // the first round of requests instead of a round trip after the router starts
    // (Slow 4G: 150 ms a round trip, measured by benchmarks/bench_app.py).
    { path: "/", name: "tasks", component: TasksView },
    {
      path: "/tasks/:id(\\d+)",
      name: "task",
      component: () => import("./views/TaskView.vue"),
      props: (route) => ({ id: Number(route.params.id) }),
    },
    { path: "/report", name: "report", component: () => import("./views/ReportView.vue") },
    { path: "/outbox", name: "outbox", component: () => import("./views/OutboxView.vue") },
    { path: "/checkin", name: "checkin", component: () => import("./views/CheckinView.vue") },
    {
      path: "/roll-calls/:id(\\d+)",
      name: "roll-call",
      component: () => import("./views/RollCallView.vue"),
      props: (route) => ({ id: Number(route.params.id) }),
    },
    // The squad leader's pages: chunks of their own, never in the officer's first load.
    {
      path: "/board",
      name: "board",
      component: () => import("./views/leader/BoardView.vue"),
      meta: { leader: true },
    },
    {
      path: "/board/roster",
      name: "roster",
      component: () => import("./views/leader/RosterView.vue"),
      meta: { leader: true },
    },
    {
      path: "/board/cases/:id(\\d+)",
      name: "leader-case",
      component: () => import("./views/leader/CaseReviewView.vue"),
      meta: { leader: true },
      props: (route) => ({ id: Number(route.params.id) }),
    },
    // The command centre's console (desktop): Leaflet and its CSS in this chunk only.
    {
      path: "/console",
      name: "console",
      component: () => import("./views/console/ConsoleView.vue"),
      meta: { leader: true },
    },
    // The leaders' dashboard (数据看板, desktop first): ECharts in these chunks only.
    {
      path: "/dashboard",
      component: () => import("./views/dashboard/DashboardLayout.vue"),
      meta: { leader: true },
      children: [
        { path: "", name: "dashboard", component: () => import("./views/dashboard/OverviewView.vue") },
        { path: "cases", name: "dashboard-cases", component: () => import("./views/dashboard/CasesView.vue") },
        {
          path: "cameras",
          name: "dashboard-cameras",
          component: () => import("./views/dashboard/CamerasView.vue"),
        },
        {
          path: "programmes",
          name: "dashboard-programmes",
          component: () => import("./views/dashboard/ProgrammesView.vue"),
        },
        {
          path: "hotspots",
          name: "dashboard-hotspots",
          component: () => import("./views/dashboard/HotspotsView.vue"),
        },
        { path: "list", name: "dashboard-list", component: () => import("./views/dashboard/CaseListView.vue") },
      ],
    },
    { path: "/inbox", name: "inbox", component: () => import("./views/InboxView.vue") },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  if (to.name !== "login" && !api.session) return { name: "login", query: { next: to.fullPath } };
  // After sign-in (and on every open of "/"): a squad leader lands on the board.
  // The district desk on a desktop screen lands on the command console instead.
  if (to.name === "tasks" && isDistrict(api.session?.user.role) && window.innerWidth >= 1280) {
    return { name: "console" };
  }
  if (to.name === "tasks" && isLeader(api.session?.user.role)) return { name: "board" };
  if (to.meta.leader && !isLeader(api.session?.user.role)) return { name: "tasks" };
  return true;
});
