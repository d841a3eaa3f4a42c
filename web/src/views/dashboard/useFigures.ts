// Reading a page's figures again whenever its month changes, with the error in Chinese.
import { ref, watch, type Ref } from "vue";
import { userMessage } from "../../api/client";

export function useFigures<T>(month: Ref<string>, read: (month: string) => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>;
  const error = ref("");
  const loading = ref(false);
  let request = 0;
  watch(
    month,
    async (m) => {
      const mine = ++request;
      loading.value = true;
      error.value = "";
      try {
        const answer = await read(m);
        if (mine === request) data.value = answer;
      } catch (e) {
        if (mine === request) error.value = userMessage(e);
      } finally {
        if (mine === request) loading.value = false;
      }
    },
    { immediate: true },
  );
  return { data, error, loading };
}
