/**
 * Charts drawn by the page itself: inline SVG strings, nothing loaded from elsewhere. Each chart
 * has a <title> per mark (a tooltip) and the numbers written beside the marks, so it reads without
 * a mouse and without colour.
 */
import { esc } from './text.js';

/** A bar of a chart. */
export interface Bar {
  label: string;
  value: number;
}

const FONT = 'font-family="sans-serif" font-size="12"';

/** Horizontal bars, one row each, longest first as given. */
export function barChart(bars: Bar[], opts: { id: string; color?: string; labelWidth?: number } = { id: 'bars' }): string {
  const rowH = 22;
  const labelW = opts.labelWidth ?? 120;
  const barW = 360;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const h = Math.max(rowH, bars.length * rowH) + 4;
  const rows = bars
    .map((b, i) => {
      const y = i * rowH + 2;
      const w = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * barW));
      return (
        `<g class="bar" data-label="${esc(b.label)}" data-value="${b.value}"><title>${esc(b.label)}：${b.value}</title>` +
        `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" ${FONT}>${esc(b.label)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${opts.color ?? '#2f6fb0'}"/>` +
        `<text x="${labelW + w + 4}" y="${y + 15}" ${FONT}>${b.value}</text></g>`
      );
    })
    .join('');
  return `<svg id="${esc(opts.id)}" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 50}" height="${h}" viewBox="0 0 ${labelW + barW + 50} ${h}">${rows}</svg>`;
}

/** An indicator with its 2020 value and 2025 target. */
export interface IndicatorPair {
  label: string;
  current: string | null;
  target: string | null;
}

/** The number at the start of a value ("95", "1.8%", "≥90"), or null. */
export function numberOf(v: string | null): number | null {
  if (!v) return null;
  const m = /-?\d+(?:\.\d+)?/.exec(v.replace(/,/g, ''));
  return m ? Number(m[0]) : null;
}

/**
 * Each indicator's 2020 value against its 2025 target: two bars on the indicator's own scale
 * (units differ between indicators); a value that is not a number is written, not drawn.
 */
export function indicatorChart(items: IndicatorPair[], labels: { current: string; target: string }): string {
  const rowH = 40;
  const labelW = 230;
  const barW = 300;
  const h = items.length * rowH + 24;
  const legend =
    `<rect x="${labelW}" y="2" width="12" height="10" fill="#9bb7d4"/><text x="${labelW + 16}" y="11" ${FONT}>${esc(labels.current)}</text>` +
    `<rect x="${labelW + 120}" y="2" width="12" height="10" fill="#d9822b"/><text x="${labelW + 136}" y="11" ${FONT}>${esc(labels.target)}</text>`;
  const rows = items
    .map((it, i) => {
      const y = 20 + i * rowH;
      const a = numberOf(it.current);
      const b = numberOf(it.target);
      const max = Math.max(a ?? 0, b ?? 0, 1e-9);
      const bar = (v: number | null, text: string | null, dy: number, color: string) => {
        if (v === null) return `<text x="${labelW}" y="${y + dy + 11}" ${FONT} fill="#555">${esc(text ?? '—')}</text>`;
        const w = Math.max(2, Math.round((v / max) * barW));
        return `<rect x="${labelW}" y="${y + dy}" width="${w}" height="14" fill="${color}"/><text x="${labelW + w + 4}" y="${y + dy + 11}" ${FONT}>${esc(text)}</text>`;
      };
      return (
        `<g class="indicator"><title>${esc(it.label)}：${esc(labels.current)} ${esc(it.current ?? '—')}，${esc(labels.target)} ${esc(it.target ?? '—')}</title>` +
        `<text x="${labelW - 6}" y="${y + 20}" text-anchor="end" ${FONT}>${esc(it.label.length > 17 ? `${it.label.slice(0, 16)}…` : it.label)}</text>` +
        bar(a, it.current, 2, '#9bb7d4') +
        bar(b, it.target, 18, '#d9822b') +
        '</g>'
      );
    })
    .join('');
  return `<svg id="indicators" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 90}" height="${h}" viewBox="0 0 ${labelW + barW + 90} ${h}">${legend}${rows}</svg>`;
}

/** A milestone on the timeline. */
export interface TimelinePoint {
  id: number;
  title: string;
  dueDate: string;
  state: 'done' | 'due' | 'overdue' | 'unreported';
}

const STATE_COLOR: Record<TimelinePoint['state'], string> = {
  done: '#2e8b57',
  due: '#2f6fb0',
  overdue: '#c0392b',
  unreported: '#e0a800',
};

/** Milestones by due date, one lane per state, with today marked. */
export function timelineChart(points: TimelinePoint[], today: string, labels: Record<TimelinePoint['state'], string>): string {
  const lanes: TimelinePoint['state'][] = ['done', 'due', 'overdue', 'unreported'];
  const left = 150;
  const width = 560;
  const laneH = 34;
  const years = points.map((p) => Number(p.dueDate.slice(0, 4)));
  const y0 = Math.min(Number(today.slice(0, 4)), ...years);
  const y1 = Math.max(Number(today.slice(0, 4)) + 1, ...years.map((y) => y + 1));
  const span = Date.UTC(y1, 0, 1) - Date.UTC(y0, 0, 1);
  const x = (date: string) => left + Math.round(((Date.parse(`${date}T00:00:00Z`) - Date.UTC(y0, 0, 1)) / span) * width);
  const h = lanes.length * laneH + 30;
  let out = '';
  lanes.forEach((lane, i) => {
    const y = i * laneH + 10;
    const n = points.filter((p) => p.state === lane).length;
    out += `<text x="${left - 8}" y="${y + 20}" text-anchor="end" ${FONT}>${esc(labels[lane])}（${n}）</text>`;
    out += `<line x1="${left}" x2="${left + width}" y1="${y + 16}" y2="${y + 16}" stroke="#ddd"/>`;
  });
  for (let y = y0; y <= y1; y++) {
    const xx = x(`${y}-01-01`);
    out += `<line x1="${xx}" x2="${xx}" y1="6" y2="${h - 18}" stroke="#eee"/><text x="${xx}" y="${h - 4}" text-anchor="middle" ${FONT}>${y}</text>`;
  }
  const tx = x(today);
  out += `<line x1="${tx}" x2="${tx}" y1="4" y2="${h - 18}" stroke="#333" stroke-dasharray="4 3"/>`;
  // Milestones due on the same day would hide each other: later ones step aside a little.
  const taken = new Map<string, number>();
  for (const p of points) {
    const lane = lanes.indexOf(p.state);
    const k = taken.get(`${lane}|${p.dueDate}`) ?? 0;
    taken.set(`${lane}|${p.dueDate}`, k + 1);
    const cy = lane * laneH + 26 + ((k % 3) - 1) * 5 * Math.min(1, k);
    const cx = x(p.dueDate) + Math.floor(k / 3) * 5;
    out += `<circle class="milestone ${p.state}" data-id="${p.id}" cx="${cx}" cy="${cy}" r="6" fill="${STATE_COLOR[p.state]}" fill-opacity="0.8"><title>#${p.id} ${esc(p.title)}（${p.dueDate}，${esc(labels[p.state])}）</title></circle>`;
  }
  return `<svg id="timeline" class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="${left + width + 20}" height="${h}" viewBox="0 0 ${left + width + 20} ${h}">${out}</svg>`;
}
