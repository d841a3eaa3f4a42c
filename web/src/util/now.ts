import { onBeforeUnmount, onMounted, ref } from "vue";

/** The current time, ticking every `everyMs` while the component is shown. */
export function useNow(everyMs = 1000) {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => (now.value = Date.now()), everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
