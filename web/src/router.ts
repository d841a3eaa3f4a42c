import { createRouter, createWebHistory } from "vue-router";
import { api } from "./api";
import { isLeader } from "./auth/roles";

// One chunk per page: the sign-in page does not carry the task list's code.
export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: "/login", name: "login", component: () => import("./views/LoginView.vue") },
    { path: "/", name: "tasks", component: () => import("./views/TasksView.vue") },
    {
      path: "/tasks/:id(\\d+)",
      name: "task",
      component: () => import("./views/TaskView.vue"),
      props: (route) => ({ id: Number(route.params.id) }),
    },
    { path: "/report", name: "report", component: () => import("./views/ReportView.vue") },
    { path: "/outbox", name: "outbox", component: () => import("./views/OutboxView.vue") },
    { path: "/checkin", name: "checkin", component: () => import("./views/CheckinView.vue") },
    // The squad leader's pages: chunks of their own, never in the officer's first load.
    {
      path: "/board",
      name: "board",
      component: () => import("./views/leader/BoardView.vue"),
      meta: { leader: true },
    },
    {
      path: "/board/cases/:id(\\d+)",
      name: "leader-case",
      component: () => import("./views/leader/CaseReviewView.vue"),
      meta: { leader: true },
      props: (route) => ({ id: Number(route.params.id) }),
    },
    { path: "/inbox", name: "inbox", component: () => import("./views/InboxView.vue") },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  if (to.name !== "login" && !api.session) return { name: "login", query: { next: to.fullPath } };
  // After sign-in (and on every open of "/"): a squad leader lands on the board.
  if (to.name === "tasks" && isLeader(api.session?.user.role)) return { name: "board" };
  if (to.meta.leader && !isLeader(api.session?.user.role)) return { name: "tasks" };
  return true;
});
