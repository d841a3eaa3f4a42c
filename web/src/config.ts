// Settings of the deployment that the API writes into the page it serves
// (`<meta name="offsite:NAME" content="...">`, api/webapp.py), so one build serves all.

/** The named setting, or "" when the deployment has none. */
export function pageSetting(name: string, doc: Document = document): string {
  const meta = doc.querySelector<HTMLMetaElement>(`meta[name="offsite:${CSS.escape(name)}"]`);
  return meta?.content.trim() ?? "";
}
