// The outbox's network: commands through the API client (same Idempotency-Key on every
// retry), photos straight to object storage with the POST policy grant (XHR, for its
// upload progress), then completed with the phone's position and time.
import { api } from "../api";
import { NetworkError } from "../api/client";
import type { Grant, QueuedPhoto, Transport } from "./outbox";
import { UploadRefused } from "./outbox";

/** One multipart POST to the storage: the grant's fields, then the file (a policy wants
 *  the file last). Resolves on 2xx; progress goes to `onProgress` as 0..1. */
export function postToStorage(
  grant: Pick<Grant, "url" | "fields" | "file_field">,
  file: Blob,
  onProgress: (fraction: number) => void,
  timeoutMs = 120_000,
): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
  form.append(grant.file_field, file, "photo.jpg");
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", grant.url);
    xhr.timeout = timeoutMs;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else if (xhr.status >= 500) reject(new NetworkError(xhr.status));
      else reject(new UploadRefused(xhr.status));
    };
    xhr.onerror = () => reject(new NetworkError("upload failed"));
    xhr.ontimeout = () => reject(new NetworkError("upload timed out"));
    xhr.send(form);
  });
}

export const apiTransport: Transport = {
  command: (path, body, key) => api.command(path, body, key),
  createCase: (body, key) => api.command("/api/v1/cases", body, key),
  grant: (caseId, contentType, purpose) =>
    // Asking twice only leaves an unused grant behind, which expires: no key needed.
    api.request<Grant>("POST", `/api/v1/cases/${caseId}/evidence`, {
      body: { content_type: contentType, purpose },
    }),
  upload: (grant: Grant, photo: QueuedPhoto, onProgress) =>
    postToStorage(grant, new Blob([photo.bytes], { type: photo.type }), onProgress),
  complete: async (evidenceId, photo) => {
    // Repeating a completion is harmless, so a lost answer is asked again.
    await api.request("POST", `/api/v1/evidence/${evidenceId}/complete`, {
      body: { location: photo.location, captured_at: photo.capturedAt },
      idempotencyKey: `complete-${evidenceId}`,
    });
  },
  getCase: (caseId) => api.get(`/api/v1/cases/${caseId}`),
};
