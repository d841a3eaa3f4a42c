// Officers' positions live (GET /api/v1/map/officers/stream): a snapshot, then each
// change within a second of the phone sending it. Reconnects start from a snapshot.
import { api } from "../api";
import { openStream } from "../live/stream";
import type { CoordType, OfficerLayer } from "./layers";

export function watchOfficers(
  coordType: CoordType,
  onLayer: (layer: OfficerLayer) => void,
  onState?: (connected: boolean) => void,
): () => void {
  return openStream({
    url: `/api/v1/map/officers/stream?coord_type=${coordType}`,
    token: async () => (api.session ? await api.accessToken() : null),
    refresh: (stale) => api.refresh(stale),
    onState,
    onMessage: (message) => {
      if (message.event === "positions") onLayer(JSON.parse(message.data) as OfficerLayer);
    },
  });
}
