// The catalogue's Chinese names of the violation types, by code, for the tables that
// carry only the code (the code stands in while, or if, the catalogue cannot be read).
import { onMounted, ref } from "vue";
import { violationTypes } from "../../api/leader";

export function useTypeNames() {
  const names = ref<Record<string, string>>({});
  onMounted(async () => {
    try {
      const page = await violationTypes();
      names.value = Object.fromEntries(page.items.map((t) => [t.code, t.name_zh]));
    } catch {
      // The codes are shown instead: the figures themselves are already on the page.
    }
  });
  const nameOf = (code: string | null | undefined, none = "全部") =>
    code ? (names.value[code] ?? code) : none;
  return { names, nameOf };
}
