import { Bench } from 'tinybench';
import { stringify } from 'csv-stringify/sync';
import { csvText, type CsvValue } from '../reports/csv.ts';
import { INVOCATION_COLUMNS, ms } from '../reports/summary.ts';
import { makeRng } from '../scenarios/rng.ts';

/** Rows per timed call: enough for a few MB of text, the size where the writer's cost showed. */
const ROWS = 20_000;

/** Rows shaped as invocations.csv's: policy, ids, times rounded to microseconds, paths, empty reasons. */
function invocationLikeRows(): CsvValue[][] {
  const rng = makeRng(1, 'csv-bench');
  const paths = ['warm', 'resume-local', 'resume-external', 'golden', 'cold-boot'];
  const rows: CsvValue[][] = [];
  let t = 0;
  for (let i = 0; i < ROWS; i++) {
    t += rng() * 10_000;
    const exec = rng() * 5000;
    const restore = rng() < 0.2 ? rng() * 800 : 0;
    rows.push(['shared-p2c-ttl-pause', i, `agent-${String(i % 2000).padStart(4, '0')}`, ms(t), ms(t), ms(t + restore + exec), paths[i % paths.length]!, 0, 0, ms(restore), ms(exec), 'served', '', 0, 1, 1]);
  }
  return rows;
}

/** The CSV writer's speed in MB/s of text (tinybench medians), and csv-stringify's on the same rows. */
export async function csvWriterSpeed(): Promise<{ bytes: number; writerMBps: number; csvStringifyMBps: number }> {
  const rows = invocationLikeRows();
  const columns = [...INVOCATION_COLUMNS];
  const text = csvText(columns, rows);
  if (text !== stringify(rows, { header: true, columns })) throw new Error('csv bench: csvText and csv-stringify disagree');
  const bytes = Buffer.byteLength(text);
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench.add('csvText', () => {
    csvText(columns, rows);
  });
  bench.add('csv-stringify', () => {
    stringify(rows, { header: true, columns });
  });
  await bench.run();
  const mbps = (name: string): number => {
    const r = bench.tasks.find((t) => t.name === name)!.result;
    if (r.state !== 'completed') throw new Error(`csv bench ${name}: ${r.state}`);
    return bytes / 1e6 / (r.latency.p50 / 1000);
  };
  return { bytes, writerMBps: mbps('csvText'), csvStringifyMBps: mbps('csv-stringify') };
}
