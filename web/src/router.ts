import { createRouter, createWebHistory } from "vue-router";
import { api } from "./api";

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
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach((to) => {
  if (to.name !== "login" && !api.session) return { name: "login", query: { next: to.fullPath } };
  return true;
});
