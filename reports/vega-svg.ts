import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string in Node, with no canvas and no
 * DOM (text widths are estimated). Warnings from Vega-Lite and Vega go to
 * `warnings` when given and are dropped otherwise: a report must not write
 * to the terminal of the run that makes it, but tests should see them.
 * Element ids (clip paths, gradients) are prefixed with `idPrefix`: Vega
 * numbers them from 1 in every chart, and in one HTML page two charts'
 * `clip1` would clip each other's marks.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string, warnings?: string[]): Promise<string> {
  const logger = vega.logger(vega.Warn, 'warn', (_method, level, args) => {
    warnings?.push(`${level} ${args.map(String).join(' ')}`);
  });
  const view = new vega.View(vega.parse(compile(spec, { logger }).spec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return prefixIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`);
}
