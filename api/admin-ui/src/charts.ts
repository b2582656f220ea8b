const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** One bar group: a label (a queue) and a value per series key (a job state). */
export interface BarGroup {
  label: string;
  values: Record<string, number>;
}

/** A series: its key in BarGroup.values, its legend label and CSS class (the colour). */
export interface Series {
  key: string;
  label: string;
  cls: string;
}

const ROW = 22;
/** Bars of a group are this tall and this far apart: room for an 11px label beside each. */
const GROUPED_BAR = 11;
const BAR_GAP = 3;
const LABEL_WIDTH = 110;
const WIDTH = 560;
const VALUE_WIDTH = 60;

/**
 * A horizontal grouped bar chart: one block per group, one bar per series, scaled to the largest
 * value, each bar labelled with its number and a <title> for hover. Bars of 0 stay 0 wide.
 */
export function groupedBars(title: string, groups: BarGroup[], series: Series[]): SVGSVGElement {
  const max = Math.max(1, ...groups.flatMap((g) => series.map((s) => g.values[s.key] ?? 0)));
  const barHeight = GROUPED_BAR;
  const blockHeight = series.length * (barHeight + BAR_GAP) + 10;
  const legendHeight = 24;
  const height = legendHeight + groups.length * blockHeight + 4;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
  });
  chart.appendChild(svg('title', {}, title));
  series.forEach((s, i) => {
    const x = LABEL_WIDTH + i * 110;
    chart.appendChild(svg('rect', { x, y: 6, width: 10, height: 10, class: `bar ${s.cls}` }));
    chart.appendChild(svg('text', { x: x + 14, y: 15, class: 'legend' }, s.label));
  });
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  groups.forEach((group, gi) => {
    const top = legendHeight + gi * blockHeight;
    const block = svg('g', { 'data-group': group.label });
    block.appendChild(
      svg('text', { x: LABEL_WIDTH - 8, y: top + blockHeight / 2, class: 'group-label' }, group.label),
    );
    // An idle queue says so once instead of a column of zeros.
    const idle = series.every((s) => (group.values[s.key] ?? 0) === 0);
    if (idle) {
      block.appendChild(
        svg('text', { x: LABEL_WIDTH + 4, y: top + blockHeight / 2, class: 'value' }, 'no jobs'),
      );
    }
    series.forEach((s, si) => {
      const value = group.values[s.key] ?? 0;
      const y = top + 4 + si * (barHeight + BAR_GAP);
      const width = value === 0 ? 0 : Math.max(1, (value / max) * span);
      const bar = svg('rect', {
        x: LABEL_WIDTH,
        y,
        width: width.toFixed(1),
        height: barHeight,
        class: `bar ${s.cls}`,
        'data-series': s.key,
        'data-value': value,
      });
      bar.appendChild(svg('title', {}, `${group.label} ${s.label}: ${value}`));
      block.appendChild(bar);
      if (!idle) {
        block.appendChild(
          svg('text', { x: LABEL_WIDTH + width + 4, y: y + barHeight - 1, class: 'value' }, String(value)),
        );
      }
    });
    chart.appendChild(block);
  });
  return chart;
}

/** A simple bar chart: one bar per entry (e.g. HTTP status classes). */
export function bars(title: string, entries: { label: string; value: number; cls: string }[]): SVGSVGElement {
  const max = Math.max(1, ...entries.map((e) => e.value));
  const height = entries.length * ROW + 8;
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
  });
  chart.appendChild(svg('title', {}, title));
  entries.forEach((entry, i) => {
    const y = 4 + i * ROW;
    const width = entry.value === 0 ? 0 : Math.max(1, (entry.value / max) * span);
    chart.appendChild(
      svg('text', { x: LABEL_WIDTH - 8, y: y + ROW / 2 + 3, class: 'group-label' }, entry.label),
    );
    const bar = svg('rect', {
      x: LABEL_WIDTH,
      y: y + 3,
      width: width.toFixed(1),
      height: ROW - 8,
      class: `bar ${entry.cls}`,
      'data-series': entry.label,
      'data-value': entry.value,
    });
    bar.appendChild(svg('title', {}, `${entry.label}: ${entry.value}`));
    chart.appendChild(bar);
    chart.appendChild(
      svg('text', { x: LABEL_WIDTH + width + 4, y: y + ROW / 2 + 3, class: 'value' }, String(entry.value)),
    );
  });
  return chart;
}
