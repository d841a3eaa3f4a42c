// The base layer of the map setting (and its label layer), shared by the console and the
// dashboard's hotspot map. With no tile URL, or when none of its tiles can be reached (an
// isolated network), the district's own polygons are the map.
import L from "leaflet";
import type { MapConfig } from "./layers";

/** Add the setting's tiles to ``map``; ``onLost`` runs once if no tile ever loads. */
export function addBaseLayer(map: L.Map, config: MapConfig, onLost?: () => void): void {
  if (!config.tile_url) return;
  const options: L.TileLayerOptions = {
    maxZoom: config.max_zoom,
    attribution: config.attribution,
    subdomains: config.subdomains || "abc",
    crossOrigin: false,
  };
  const base = L.tileLayer(config.tile_url, options);
  let loaded = 0;
  let failed = 0;
  let lost = false;
  base.on("tileload", () => (loaded += 1));
  base.on("tileerror", () => {
    failed += 1;
    if (loaded === 0 && failed >= 4 && !lost) {
      lost = true;
      map.removeLayer(base);
      onLost?.();
    }
  });
  base.addTo(map);
  if (config.label_url) L.tileLayer(config.label_url, options).addTo(map);
}
