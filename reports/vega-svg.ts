import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite spec to an SVG string in Node, with no canvas and no
 * DOM (text widths are estimated). Warnings from Vega-Lite and Vega go to
 * `warnings` when given and are dropped otherwise: a report must not write
 * to the terminal of the run that makes it, but tests should see them.
 * Element ids (clip paths, gradients) are prefixed with `idPrefix`: Vega
 * numbers them from 1 in every chart, and in one HTML page two charts'
 * `clip1` would clip each other's marks. Ids are renumbered per chart in
 * order of appearance, since Vega's counter runs on across renders.
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
  // Vega numbers clip paths with a counter global to the process (clip1 in the first chart, clip24 in a later
  // report), so ids are renumbered in order of appearance: the same chart is the same bytes in any process.
  const ids = new Map<string, string>();
  const rename = (id: string): string => {
    let n = ids.get(id);
    if (n === undefined) {
      n = `${prefix}-${ids.size + 1}`;
      ids.set(id, n);
    }
    return n;
  };
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)|href="#([^"]+)"/g, (m, a: string | undefined, b: string | undefined, c: string | undefined) => {
    if (a !== undefined) return `id="${rename(a)}"`;
    if (b !== undefined) return `url(#${rename(b)})`;
    return `href="#${rename(c!)}"`;
  });
}
