// The dashboard's hotspot map (高发区域): the setting's base layer as on the console, the
// squads' outlines, and the week's hot H3 cells coloured by their trend; a click on a cell
// hands its properties to the page (which opens the cell's cases).
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { addBaseLayer } from "./base";
import { squadLayer, type MapConfig } from "./layers";

/** A cell's colour by trend: new, persistent, intermittent, fading (none: grey). */
export const TREND_COLOURS: Record<string, string> = {
  new: "#f97316",
  persistent: "#dc2626",
  intermittent: "#a855f7",
  fading: "#60a5fa",
};
export const NO_TREND_COLOUR = "#94a3b8";

export const trendColour = (trend: unknown): string =>
  (typeof trend === "string" && TREND_COLOURS[trend]) || NO_TREND_COLOUR;

export class HotspotMap {
  readonly map: L.Map;
  private readonly cells = L.featureGroup();

  constructor(
    element: HTMLElement,
    private readonly config: MapConfig,
    private readonly onCell: (properties: Record<string, unknown>) => void,
    onBaseLost?: () => void,
  ) {
    const [lng, lat] = config.centre as [number, number];
    this.map = L.map(element, { center: [lat, lng], zoom: config.zoom, maxZoom: config.max_zoom });
    this.map.attributionControl.setPrefix(false);
    addBaseLayer(this.map, config, onBaseLost);
    this.cells.addTo(this.map);
  }

  /** The squads' outlines (the jurisdiction), then the hot cells on top. */
  async load(cells: GeoJSON.FeatureCollection): Promise<void> {
    const squads = await squadLayer(this.config.coord_type);
    const outline = L.geoJSON(squads as unknown as GeoJSON.GeoJsonObject, {
      style: { color: "#1d4ed8", weight: 2, fillColor: "#dbeafe", fillOpacity: 0.25 },
      interactive: false,
    }).addTo(this.map);
    outline.bringToBack();
    this.show(cells);
    const bounds = this.cells.getLayers().length ? this.cells.getBounds() : outline.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  }

  show(cells: GeoJSON.FeatureCollection): void {
    this.cells.clearLayers();
    L.geoJSON(cells, {
      style: (f) => ({
        color: trendColour(f?.properties?.trend),
        weight: 1,
        fillColor: trendColour(f?.properties?.trend),
        fillOpacity: 0.55,
        className: "hot-cell",
      }),
      onEachFeature: (f, layer) => {
        const p = (f.properties ?? {}) as Record<string, unknown>;
        layer.bindTooltip(`${String(p.squad_name ?? "")} · ${String(p.cases ?? 0)}件 · z=${Number(p.z ?? 0).toFixed(1)}`);
        layer.on("click", () => this.onCell(p));
      },
    }).eachLayer((layer) => this.cells.addLayer(layer));
  }

  remove(): void {
    this.map.remove();
  }
}
