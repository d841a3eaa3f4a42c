// Photos from the camera, kept as bytes for the outbox (and a preview link for the page).
import { newIdempotencyKey } from "../api/client";
import type { Position, QueuedPhoto } from "../offline/outbox";

export async function photoFrom(file: File, where: Position | null): Promise<QueuedPhoto> {
  return {
    localId: newIdempotencyKey(),
    bytes: await file.arrayBuffer(),
    type: file.type || "image/jpeg",
    capturedAt: new Date().toISOString(),
    location: where ? { lng: where.lng, lat: where.lat, coord_type: where.coord_type } : null,
  };
}

const previews = new Map<string, string>();

/** An object URL for a queued photo, made once per photo while the app runs. */
export function previewOf(photo: QueuedPhoto): string {
  let url = previews.get(photo.localId);
  if (!url) {
    url = URL.createObjectURL(new Blob([photo.bytes], { type: photo.type }));
    previews.set(photo.localId, url);
  }
  return url;
}
