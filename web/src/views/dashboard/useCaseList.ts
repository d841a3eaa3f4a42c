// Opening the cases behind a chart: /dashboard/list with the clicked item's filter.
import { useRouter } from "vue-router";
import { filterToQuery, type CaseFilter } from "../../dashboard/filters";
import { filterOf } from "../../dashboard/options";

export function useCaseList() {
  const router = useRouter();
  const open = (filter: CaseFilter, title = "") =>
    router.push({ name: "dashboard-list", query: { ...filterToQuery(filter), ...(title ? { title } : {}) } });
  /** A chart's click: its data item's filter, when it carries one. */
  const openItem = (item: unknown) => {
    const filter = filterOf(item);
    const name = item && typeof item === "object" && "name" in item ? String(item.name) : "";
    if (filter) void open(filter, name);
  };
  return { open, openItem };
}
