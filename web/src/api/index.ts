// The app's one client and the calls the pages make, typed from the OpenAPI document.
import { ApiClient } from "./client";
import type { components } from "./schema";
import { localSessionStore } from "../auth/store";

export type CaseSummary = components["schemas"]["CaseSummary"];
export type CasePage = components["schemas"]["CasePage"];
export type CaseDetail = components["schemas"]["CaseDetail"];
export type EvidenceRead = components["schemas"]["EvidenceRead"];
export type Location = components["schemas"]["Location"];

export const api = new ApiClient({
  store: localSessionStore(),
  onSignedOut: () => {
    // The server ended the session (expired, revoked): back to the sign-in page.
    if (!location.pathname.endsWith("/login")) location.assign(import.meta.env.BASE_URL + "login");
  },
});

export const myTasks = (limit = 100) => api.get<CasePage>("/api/v1/me/tasks", { limit });
export const getCase = (id: number) => api.get<CaseDetail>(`/api/v1/cases/${id}`);
export type ResponderRead = components["schemas"]["ResponderRead"];
export const getResponders = (caseId: number) =>
  api.get<{ items: ResponderRead[] }>(`/api/v1/cases/${caseId}/responders`);
export const getEvidence = (id: string) => api.get<EvidenceRead>(`/api/v1/evidence/${id}`);
