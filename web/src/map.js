// The coverage map: preplot lines by state, sequence tracks, events and QC findings at their shots,
// the vessel's latest fix. No tiles: a plain background and a graticule drawn here.
import L from "leaflet";
import "leaflet/dist/leaflet.css";

export const LINE_STATES = [
  ["virgin", "Virgin"],
  ["partial", "Partly acquired"],
  ["acquired", "Acquired"],
  ["ntba", "Not to be acquired"],
];

function graticuleStep(span) {
  const steps = [10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001];
  return steps.find((s) => span / s >= 4) || 0.001;
}

function alongPath(path, fraction) {
  const f = Math.min(1, Math.max(0, fraction));
  const lengths = path.slice(1).map((p, i) => path[i].distanceTo(p));
  let left = f * lengths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < lengths.length; i++) {
    if (left <= lengths[i] || i === lengths.length - 1) {
      const t = lengths[i] ? Math.min(1, left / lengths[i]) : 0;
      return L.latLng(path[i].lat + t * (path[i + 1].lat - path[i].lat), path[i].lng + t * (path[i + 1].lng - path[i].lng));
    }
    left -= lengths[i];
  }
  return path[0];
}

export class CoverageMap {
  constructor(element, { onFinding } = {}) {
    this.map = L.map(element, {
      attributionControl: false,
      zoomSnap: 0.25,
      renderer: L.svg({ padding: 0.5 }),
      keyboard: true,
    });
    this.onFinding = onFinding || (() => {});
    this.graticule = L.layerGroup().addTo(this.map);
    this.lines = L.layerGroup().addTo(this.map);
    this.tracks = L.layerGroup().addTo(this.map);
    this.planned = L.layerGroup().addTo(this.map);
    this.events = L.layerGroup().addTo(this.map);
    this.vessel = L.layerGroup().addTo(this.map);
    this.bounds = null;
    this.map.on("moveend", () => this.drawGraticule());
    this.map.setView([0, 0], 2);
  }

  setLines(collection) {
    this.lines.clearLayers();
    const layer = L.geoJSON(collection, {
      style: (f) => ({ className: `preplot-line state-${f.properties.state}`, weight: 5 }),
      onEachFeature: (f, l) => l.bindTooltip(`Line ${f.properties.line}: ${f.properties.state}`, { sticky: true }),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 2 }),
    });
    layer.addTo(this.lines);
    const bounds = layer.getBounds();
    if (bounds.isValid()) {
      const first = this.bounds === null;
      this.bounds = bounds;
      if (first) this.fit();
    }
  }

  setTracks(collection) {
    this.tracks.clearLayers();
    L.geoJSON(collection, {
      style: (f) => ({ className: `track status-${f.properties.status}`, weight: 2 }),
      onEachFeature: (f, l) => l.bindTooltip(`Sequence ${f.properties.sequence} (${f.properties.kind})`, { sticky: true }),
    }).addTo(this.tracks);
  }

  // Planned sequences, dashed, placed on their preplot line by point number (points are evenly spaced
  // along a line, so a point sits at its fraction of the line's length).
  setPlanned(plan, lineCollection) {
    this.planned.clearLayers();
    const byLine = new Map(lineCollection.features.map((f) => [f.properties.line, f]));
    for (const p of plan) {
      const line = byLine.get(p.line);
      if (!line || line.geometry.type !== "LineString" || line.properties.fsp === line.properties.lsp) continue;
      const { fsp, lsp } = line.properties;
      const path = line.geometry.coordinates.map(([lon, lat]) => L.latLng(lat, lon));
      const at = (point) => alongPath(path, (point - fsp) / (lsp - fsp));
      L.polyline([at(p.fsp), at(p.lsp)], { className: "planned", weight: 3, dashArray: "8 6" })
        .bindTooltip(`Planned sequence ${p.sequence}: line ${p.line}, ${p.fsp}–${p.lsp}`)
        .addTo(this.planned);
    }
  }

  setEvents(collection, findings) {
    this.events.clearLayers();
    for (const f of collection.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const cls = p.qc ? `qc-marker ${p.accepted ? "accepted" : "open"}` : "event-marker";
      const marker = L.circleMarker([lat, lon], { radius: p.qc ? 6 : 4, className: cls });
      marker.bindTooltip(`${p.qc ? "QC" : "Event"} ${p.id}: seq ${p.sequence} point ${p.point} — ${p.remarks}`);
      if (p.qc) marker.on("click", () => this.onFinding(p, findings.get(p.id)));
      marker.addTo(this.events);
    }
  }

  setVessel(feature) {
    this.vessel.clearLayers();
    if (!feature || !feature.geometry) return;
    const [lon, lat] = feature.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: 7, className: "vessel" }).bindTooltip("Vessel: latest fix").addTo(this.vessel);
  }

  fit() {
    if (this.bounds) this.map.fitBounds(this.bounds, { padding: [20, 20] });
  }

  drawGraticule() {
    this.graticule.clearLayers();
    const b = this.map.getBounds();
    const step = graticuleStep(Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth()));
    const opts = { className: "graticule", weight: 1, interactive: false };
    for (let lon = Math.ceil(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
      L.polyline([[b.getSouth(), lon], [b.getNorth(), lon]], opts).addTo(this.graticule);
    }
    for (let lat = Math.ceil(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
      L.polyline([[lat, b.getWest()], [lat, b.getEast()]], opts).addTo(this.graticule);
    }
  }

  destroy() {
    this.map.remove();
  }
}
