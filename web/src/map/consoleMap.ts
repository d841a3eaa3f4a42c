// The console's Leaflet map: the base layer of the setting (or none: the district's own
// polygons are the map), the overlays in the base's coordinate system, case clusters
// re-read as the view moves, and officers' markers moved by the live stream.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { addBaseLayer } from "./base";
import {
  bboxOf,
  blockLayer,
  cameraLayer,
  caseLayer,
  gridLayer,
  squadLayer,
  subjectLayer,
  type CaseFeature,
  type CaseLayer,
  type CaseProperties,
  type ClusterProperties,
  type MapConfig,
  type OfficerFeature,
} from "./layers";
import { caseColour, clusterSize, isStale, OVERDUE_COLOUR, STATE_LABELS } from "./style";

export interface ConsoleMapEvents {
  /** The case layer was read again (the view moved). */
  onCases?: (layer: CaseLayer) => void;
  /** The base layer's tiles cannot be reached: drawn on the district's GeoJSON alone. */
  onBaseLost?: () => void;
  /** 设为突发事件 from a case's popup (given only to those who may declare). */
  onDeclare?: (caseId: number, number: string) => void;
  /** 轨迹回放 from an officer's popup. */
  onTrack?: (officer: OfficerFeature) => void;
  /** 点名 from an officer's popup (given only to those who may ask a roll call). */
  onRollCall?: (officer: OfficerFeature) => void;
}

/** A candidate responder as the map draws it (position in the map's system). */
export interface CandidateMark {
  officerId: number;
  name: string;
  lng: number;
  lat: number;
  stale: boolean;
  selected: boolean;
  label: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class ConsoleMap {
  readonly map: L.Map;
  private readonly coordType: MapConfig["coord_type"];
  private readonly cases = L.layerGroup();
  private readonly officers = L.layerGroup();
  private readonly officerMarkers = new Map<number, L.Marker>();
  private readonly officerData = new Map<number, OfficerFeature>();
  private readonly emergency = L.layerGroup();
  private readonly track = L.layerGroup();
  private trackMarker: L.Marker | null = null;
  private caseRequest = 0;
  private moveTimer: ReturnType<typeof setTimeout> | null = null;
  /** No view asked for: show the whole jurisdiction once the squads are read. */
  private readonly fitDistrict: boolean;

  constructor(
    element: HTMLElement,
    private readonly config: MapConfig,
    view: { centre: [number, number]; zoom: number } | null,
    private readonly events: ConsoleMapEvents = {},
  ) {
    this.coordType = config.coord_type;
    this.fitDistrict = view === null;
    const [lng, lat] = view?.centre ?? (config.centre as [number, number]);
    this.map = L.map(element, {
      center: [lat, lng],
      zoom: view?.zoom ?? config.zoom,
      maxZoom: config.max_zoom,
      preferCanvas: false,
      attributionControl: true,
    });
    this.map.attributionControl.setPrefix(false);
    addBaseLayer(this.map, config, () => this.events.onBaseLost?.());
    this.cases.addTo(this.map);
    this.officers.addTo(this.map);
    this.emergency.addTo(this.map);
    this.track.addTo(this.map);
    this.map.on("moveend", () => this.scheduleCases());
  }

  /** Read every overlay and add the layer toggles. */
  async load(): Promise<void> {
    const ct = this.coordType;
    const [squads, grids, blocks, subjects, cameras] = await Promise.all([
      squadLayer(ct),
      gridLayer(ct),
      blockLayer(ct),
      subjectLayer(ct),
      cameraLayer(ct),
    ]);
    const labels = L.layerGroup();
    const squadShapes = L.geoJSON(squads as unknown as GeoJSON.GeoJsonObject, {
      style: { color: "#1d4ed8", weight: 2, fillColor: "#dbeafe", fillOpacity: 0.35, className: "squad-shape" },
      onEachFeature: (f, layer) => {
        // The squad's name at its label point: with no base layer, the map's only words.
        const [lng, lat] = f.properties.centre as [number, number];
        L.tooltip({ permanent: true, direction: "center", className: "squad-label" })
          .setLatLng([lat, lng])
          .setContent(escapeHtml(String(f.properties.name_zh)))
          .addTo(labels);
        layer.bindTooltip(escapeHtml(String(f.properties.name_zh)), { sticky: true });
      },
    });
    const gridShapes = L.geoJSON(grids as unknown as GeoJSON.GeoJsonObject, {
      style: { color: "#64748b", weight: 1, fill: false, dashArray: "3 3", className: "grid-shape" },
      onEachFeature: (f, layer) => layer.bindTooltip(escapeHtml(String(f.properties.code))),
    });
    const blockShapes = L.geoJSON(blocks as unknown as GeoJSON.GeoJsonObject, {
      style: { color: "#059669", weight: 2, fillOpacity: 0.15, className: "block-shape" },
      onEachFeature: (f, layer) => layer.bindTooltip(escapeHtml(String(f.properties.name))),
    });
    const subjectDots = L.geoJSON(subjects as unknown as GeoJSON.GeoJsonObject, {
      pointToLayer: (f, at) =>
        L.circleMarker(at, {
          radius: 4,
          color: "#92400e",
          weight: 1,
          fillColor: f.properties.grade >= "C" ? "#f97316" : "#fde68a",
          fillOpacity: 0.9,
          className: "subject-dot",
        }).bindTooltip(`${escapeHtml(String(f.properties.name))} · ${f.properties.grade}级`),
    });
    const cameraDots = L.geoJSON(cameras as unknown as GeoJSON.GeoJsonObject, {
      pointToLayer: (f, at) =>
        L.marker(at, {
          icon: L.divIcon({
            className: `camera-icon camera-${f.properties.health}`,
            html: "",
            iconSize: [12, 12],
          }),
        }).bindTooltip(`${escapeHtml(String(f.properties.name))}（${healthZh(f.properties.health)}）`),
    });
    squadShapes.addTo(this.map);
    labels.addTo(this.map);
    if (this.fitDistrict && squads.features.length) this.map.fitBounds(squadShapes.getBounds());
    gridShapes.addTo(this.map);
    blockShapes.addTo(this.map);
    cameraDots.addTo(this.map);
    L.control
      .layers(
        {},
        {
          中队辖区: squadShapes,
          中队名称: labels,
          单元网格: gridShapes,
          美丽街区: blockShapes,
          监管对象: subjectDots,
          摄像头: cameraDots,
          案件: this.cases,
          执法队员: this.officers,
        },
        { collapsed: false, position: "topright" },
      )
      .addTo(this.map);
    await this.loadCases();
  }

  private scheduleCases(): void {
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.moveTimer = setTimeout(() => void this.loadCases(), 150);
  }

  /** Clusters or single cases of the visible box (a later answer replaces an earlier). */
  async loadCases(): Promise<void> {
    const request = ++this.caseRequest;
    const b = this.map.getBounds();
    const layer = await caseLayer(this.coordType, {
      bbox: bboxOf(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()),
      zoom: Math.round(this.map.getZoom()),
    });
    if (request !== this.caseRequest) return;
    this.cases.clearLayers();
    for (const f of layer.features) this.cases.addLayer(this.caseMarker(f));
    this.events.onCases?.(layer);
  }

  private caseMarker(f: CaseFeature): L.Layer {
    const [lng, lat] = f.geometry.coordinates;
    const at = L.latLng(lat as number, lng as number);
    if (f.properties.kind === "cluster") {
      const p = f.properties as ClusterProperties;
      const size = clusterSize(p.count);
      const late = p.overdue > 0 ? `<b class="late">${p.overdue}</b>` : "";
      return L.marker(at, {
        icon: L.divIcon({
          className: "case-cluster",
          html: `<span style="width:${size}px;height:${size}px;line-height:${size}px">${p.count}</span>${late}`,
          iconSize: [size, size],
        }),
      })
        .bindTooltip(clusterTip(p))
        .on("click", () => this.map.setView(at, Math.min(this.map.getZoom() + 2, 18)));
    }
    const p = f.properties as CaseProperties;
    const dot = L.circleMarker(at, {
      radius: p.urgent ? 8 : 6,
      color: p.overdue ? OVERDUE_COLOUR : "#fff",
      weight: 2,
      fillColor: caseColour(p.state, p.overdue),
      fillOpacity: 0.95,
      className: `case-dot case-${p.case_id}${p.overdue ? " overdue" : ""}`,
    }).bindTooltip(`${p.number} · ${p.state_label_zh}${p.overdue ? " · 超期" : ""}`);
    return dot.bindPopup(() => this.casePopup(p));
  }

  private casePopup(p: CaseProperties): HTMLElement {
    const box = popupBox(
      `<b>${escapeHtml(p.number)}</b> ${escapeHtml(p.state_label_zh)}${p.urgent ? " · 紧急" : ""}`,
    );
    const declare = this.events.onDeclare;
    if (declare) {
      button(box, "设为突发事件", "data-declare", () => {
        this.map.closePopup();
        declare(p.case_id, p.number);
      });
    }
    return box;
  }

  private officerPopup(id: number): HTMLElement {
    const f = this.officerData.get(id);
    if (!f) return popupBox("已离岗");
    const p = f.properties;
    const kit = p.equipment.map((e) => escapeHtml(e.label)).join("、") || "无";
    const box = popupBox(
      `<b>${escapeHtml(p.display_name)}</b><br>` +
        `<span data-shift>${p.on_shift ? "在班" : "不在班"}</span> · ` +
        `<span data-duty>${p.on_duty ? "在岗" : "离岗"}</span><br>装备：${kit}`,
    );
    const replay = this.events.onTrack;
    if (replay) {
      button(box, "轨迹回放", "data-track", () => {
        this.map.closePopup();
        replay(f);
      });
    }
    const rollCall = this.events.onRollCall;
    if (rollCall && p.on_shift) {
      button(box, "点名", "data-roll-call-ask", () => {
        this.map.closePopup();
        rollCall(f);
      });
    }
    return box;
  }

  /** The emergency's site and who can go: selected ones ringed, stale ones grey. */
  showEmergency(
    site: { lng: number; lat: number } | null,
    marks: CandidateMark[],
    onToggle: (officerId: number) => void,
  ): void {
    this.emergency.clearLayers();
    if (site) {
      L.marker([site.lat, site.lng], {
        icon: L.divIcon({ className: "emergency-site", html: "<span>急</span>", iconSize: [26, 26] }),
        zIndexOffset: 2000,
      }).addTo(this.emergency);
    }
    for (const c of marks) {
      const classes = ["candidate-marker", `candidate-${c.officerId}`];
      if (c.stale) classes.push("stale");
      if (c.selected) classes.push("selected");
      if (site) {
        L.polyline(
          [
            [site.lat, site.lng],
            [c.lat, c.lng],
          ],
          { color: c.selected ? "#dc2626" : "#94a3b8", weight: 1.5, dashArray: "4 4", interactive: false },
        ).addTo(this.emergency);
      }
      // A ring around the officer's own marker, wide enough to click (to choose them).
      L.circleMarker([c.lat, c.lng], {
        radius: 15,
        color: c.selected ? "#dc2626" : "#475569",
        weight: c.selected ? 3 : 2,
        fillColor: c.stale ? "#cbd5e1" : "#facc15",
        fillOpacity: 0.9,
        className: classes.join(" "),
      })
        .bindTooltip(`${escapeHtml(c.name)} · ${escapeHtml(c.label)}`, { direction: "top" })
        .on("click", () => onToggle(c.officerId))
        .addTo(this.emergency);
    }
  }

  clearEmergency(): void {
    this.emergency.clearLayers();
  }

  /** Draw a track (positions in the map's system, oldest first) and fit it in view. */
  showTrack(points: [number, number][]): void {
    this.clearTrack();
    if (!points.length) return;
    const line = L.polyline(
      points.map(([lng, lat]) => [lat, lng] as [number, number]),
      { color: "#7c3aed", weight: 4, opacity: 0.8, className: "track-line" },
    ).addTo(this.track);
    const [lng, lat] = points[0] as [number, number];
    // Above the officers' own markers: the replayed position is what is looked at.
    this.trackMarker = L.marker([lat, lng], {
      icon: L.divIcon({ className: "track-marker", html: "<span></span>", iconSize: [18, 18] }),
      zIndexOffset: 3000,
      interactive: false,
    }).addTo(this.track);
    this.map.fitBounds(line.getBounds(), { padding: [80, 80], maxZoom: 17 });
  }

  moveTrackMarker(lng: number, lat: number): void {
    this.trackMarker?.setLatLng([lat, lng]);
  }

  clearTrack(): void {
    this.track.clearLayers();
    this.trackMarker = null;
  }

  /** Officers changed (the stream's events): on duty ones shown, moved, faded when old. */
  updateOfficers(features: OfficerFeature[], now = Date.now()): void {
    for (const f of features) {
      const [lng, lat] = f.geometry.coordinates;
      const at = L.latLng(lat as number, lng as number);
      let marker = this.officerMarkers.get(f.id);
      if (!f.properties.on_duty) {
        if (marker) this.officers.removeLayer(marker);
        this.officerMarkers.delete(f.id);
        this.officerData.delete(f.id);
        continue;
      }
      this.officerData.set(f.id, f);
      if (!marker) {
        marker = L.marker(at, {
          icon: L.divIcon({
            className: "officer-marker",
            html: `<span data-officer-id="${f.id}"></span>`,
            iconSize: [16, 16],
          }),
          zIndexOffset: 1000,
        })
          .bindTooltip(escapeHtml(f.properties.display_name), { direction: "top" })
          .bindPopup(() => this.officerPopup(f.id));
        this.officers.addLayer(marker);
        this.officerMarkers.set(f.id, marker);
      } else {
        marker.setLatLng(at);
      }
      marker.getElement()?.classList.toggle("stale", isStale(f.properties.located_at, now));
    }
  }

  /** Fade the markers whose position has grown old (call every few seconds). */
  refreshAges(now = Date.now()): void {
    for (const [id, marker] of this.officerMarkers) {
      const f = this.officerData.get(id);
      if (f) marker.getElement()?.classList.toggle("stale", isStale(f.properties.located_at, now));
    }
  }

  /** Centre on a point given in the map's coordinate system. */
  flyTo(lng: number, lat: number, zoom = 17): void {
    this.map.setView([lat, lng], zoom);
  }

  onDutyOfficers(): OfficerFeature[] {
    return [...this.officerData.values()];
  }

  destroy(): void {
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.map.remove();
  }
}

function popupBox(html: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "console-popup";
  box.innerHTML = html;
  return box;
}

function button(box: HTMLElement, text: string, data: string, onClick: () => void): void {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute(data, "");
  b.addEventListener("click", onClick);
  box.appendChild(b);
}

function healthZh(health: string): string {
  return health === "online" ? "在线" : health === "offline" ? "离线" : "未知";
}

function clusterTip(p: ClusterProperties): string {
  const parts = Object.entries(p.by_state).map(([state, n]) => `${stateZh(state)} ${n}`);
  return `${p.count} 件${p.overdue ? `（超期 ${p.overdue}）` : ""}<br>${parts.join("<br>")}`;
}

const stateZh = (s: string) => STATE_LABELS[s] ?? s;
