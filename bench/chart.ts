/**
 * The bench's chart: for each database, req/s and p99 latency per variant, as horizontal bars in
 * one SVG file beside the Markdown report (`bench/results/latest.svg`). Written by hand: a few
 * rectangles and labels, where a charting library would bring a browser or a canvas, or need
 * Node 22 (vega-lite 6).
 */
import type { BenchReport, VariantSummary } from './report.js';
import type { VariantName } from './protocol.js';

const WIDTH = 980;
const LABEL_WIDTH = 210;
const PANEL_GAP = 40;
const PANEL_WIDTH = (WIDTH - LABEL_WIDTH - PANEL_GAP - 20) / 2;
const ROW = 20;
const BAR = 14;
const HEADER = 46;
const SECTION_GAP = 24;

const FAMILIES = {
  module: { label: 'nestjs-user-sessions', color: '#2563eb' },
  peer: { label: 'other libraries', color: '#ea580c' },
  baseline: { label: 'baseline (no session library)', color: '#9ca3af' },
};

/** Who a variant is: the module, a peer, or a baseline without a session library. */
function family(variant: VariantName): { label: string; color: string } {
  if (variant.startsWith('module-')) return FAMILIES.module;
  if (variant === 'bare' || variant === 'floor') return FAMILIES.baseline;
  return FAMILIES.peer;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`;
}

/** One panel: a bar per variant, scaled to the largest value. */
function panel(variants: VariantSummary[], x: number, y: number, title: string, value: (v: VariantSummary) => number, format: (n: number) => string): string[] {
  const max = Math.max(...variants.filter((v) => v.valid).map(value), 1);
  const out = [text(x, y - 8, title, 'font-weight="600"')];
  variants.forEach((variant, index) => {
    const top = y + index * ROW;
    if (!variant.valid) {
      out.push(text(x, top + BAR - 2, 'INVALID', 'fill="#b91c1c"'));
      return;
    }
    const width = (value(variant) / max) * (PANEL_WIDTH - 70);
    out.push(
      `<rect x="${x}" y="${top}" width="${Math.max(width, 1).toFixed(1)}" height="${BAR}" fill="${family(variant.variant).color}"/>`,
      text(x + width + 4, top + BAR - 2, format(value(variant))),
    );
  });
  return out;
}

/** The whole chart, one section per database that has measurements. */
export function reportSvg(report: BenchReport): string {
  const body: string[] = [];
  body.push(text(10, 20, `nestjs-user-sessions bench, ${report.machine.date.slice(0, 10)}: medians of ${report.settings.rounds} round(s) × ${report.settings.duration} s, ${report.settings.connections} connections`, 'font-weight="600" font-size="14"'));
  Object.values(FAMILIES).forEach(({ label, color }, index) => {
    const x = 10 + index * 200;
    body.push(`<rect x="${x}" y="32" width="12" height="12" fill="${color}"/>`, text(x + 16, 42, label));
  });
  body.push(
    text(
      10,
      64,
      'Every variant runs on Nest with Express but module-read-fastify and fastify-session (Nest with Fastify): compare those two with each other.',
      'fill="#4b5563"',
    ),
  );
  let y = 66;
  for (const database of report.databases) {
    const variants = database.summary.variants;
    if (variants.length === 0) continue;
    y += SECTION_GAP;
    body.push(text(10, y, database.label, 'font-weight="600" font-size="14"'));
    const top = y + HEADER - 20;
    variants.forEach((variant, index) => {
      body.push(text(LABEL_WIDTH - 8, top + index * ROW + BAR - 2, variant.variant, 'text-anchor="end"'));
    });
    body.push(
      ...panel(variants, LABEL_WIDTH, top, 'requests per second (longer is better)', (v) => v.requestsPerSecond, (n) => Math.round(n).toLocaleString('en')),
      ...panel(variants, LABEL_WIDTH + PANEL_WIDTH + PANEL_GAP, top, 'p99 latency, ms (shorter is better)', (v) => v.p99Ms, (n) => n.toFixed(0)),
    );
    y = top + variants.length * ROW;
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
