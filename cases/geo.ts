/**
 * Geography of reports: distances and whether a point lies in (or near) the district.
 */
import { readFileSync } from 'node:fs';

/** The district's outline box and how far outside it a point is still plausible. */
export interface Area {
  name: string;
  box: { minLat: number; maxLat: number; minLon: number; maxLon: number };
  maxOutsideKm: number;
}

/** Reads the area file. */
export function loadArea(path: string): Area {
  return JSON.parse(readFileSync(path, 'utf8')) as Area;
}

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** How far (km) a point is outside the area's box; 0 inside. */
export function kmOutside(area: Area, p: { lat: number; lon: number }): number {
  const lat = Math.min(Math.max(p.lat, area.box.minLat), area.box.maxLat);
  const lon = Math.min(Math.max(p.lon, area.box.minLon), area.box.maxLon);
  return distanceM(p, { lat, lon }) / 1000;
}

/** A 镇街's approximate centre. */
export interface TownPoint {
  name: string;
  lat: number;
  lon: number;
}

/** The towns' approximate centres and how far from the nearest a point still takes its name. */
export interface TownPoints {
  maxKm: number;
  towns: TownPoint[];
}

/** Reads the towns' centres (cases/data/towns.json), keeping only the names of the shipped list. */
export function loadTownPoints(path: string, names: string[]): TownPoints {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as TownPoints;
  const known = new Set(names);
  return { maxKm: raw.maxKm, towns: raw.towns.filter((t) => known.has(t.name)) };
}

/** The 镇街 whose centre is nearest the point, when within `maxKm`; else null. */
export function nearestTown(points: TownPoints | undefined, p: { lat: number; lon: number }): string | null {
  let best: TownPoint | null = null;
  let bestM = Number.POSITIVE_INFINITY;
  for (const t of points?.towns ?? []) {
    const d = distanceM(p, t);
    if (d < bestM) {
      best = t;
      bestM = d;
    }
  }
  return best && points && bestM <= points.maxKm * 1000 ? best.name : null;
}
