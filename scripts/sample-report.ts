// Renders report.html and summary.md for a scenario straight from the
// simulator, for looking at the report (scripts/screenshot-report.sh) without
// going through `npm run simulate`. Usage:
//   npx tsx scripts/sample-report.ts [--scenario FILE] [--out DIR] [--slo p99=1s] [--duration 6h] [--policies A,B]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadScenarioFile } from '../scenarios/load.ts';
import { parseDuration } from '../scenarios/units.ts';
import { generateWorkload } from '../scenarios/workload.ts';
import { renderHtmlReport } from '../reports/html.ts';
import { renderMarkdownSummary } from '../reports/markdown.ts';
import { parseSloFlag } from '../reports/slo-flag.ts';
import { summarize } from '../reports/summary.ts';
import { simulate } from '../sim/runtime.ts';

const { values: v } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'scenarios/default.yaml' },
    out: { type: 'string', default: 'reports/runs/sample' },
    slo: { type: 'string' },
    duration: { type: 'string' },
    policies: { type: 'string' },
  },
});
let scenario = loadScenarioFile(v.scenario);
if (v.duration !== undefined) scenario = { ...scenario, durationMs: parseDuration(v.duration) };
if (v.policies !== undefined) {
  const wanted = new Set(v.policies.split(','));
  scenario = { ...scenario, policies: scenario.policies.filter((p) => wanted.has(p.name)) };
}
const slo = v.slo !== undefined ? parseSloFlag(v.slo) : scenario.slo;
const seed = scenario.seed;
const workload = await generateWorkload(scenario, seed);
const results = scenario.policies.map((policy) => simulate(scenario, policy, workload, { seed, sampleEveryMs: 60_000 }));
const input = {
  scenario: { name: scenario.name, description: scenario.description },
  seeds: [seed],
  rows: results.map(summarize),
  runs: results,
  ...(slo === undefined ? {} : { slo }),
};
mkdirSync(v.out, { recursive: true });
const html = await renderHtmlReport(input);
writeFileSync(join(v.out, 'report.html'), html);
writeFileSync(join(v.out, 'summary.md'), renderMarkdownSummary(input));
process.stderr.write(`${join(v.out, 'report.html')}: ${html.length} bytes, ${workload.arrivalMs.length} invocations, ${results.length} policy sets\n`);
