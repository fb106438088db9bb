import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';
import { createStudyProgress } from '../../sim/study-progress.ts';

afterAll(removeTempDirs);

function stream(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: string } {
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      s.text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: string };
  s.isTTY = isTTY;
  s.columns = 120;
  s.text = '';
  return s;
}

describe('study progress bar', () => {
  it('draws nothing when the stream is not a terminal, or there is none', () => {
    const s = stream(false);
    const p = createStudyProgress(s, 3);
    expect(p.active).toBe(false);
    p.tick();
    p.stop();
    expect(s.text).toBe('');
    expect(createStudyProgress(undefined, 3).active).toBe(false);
  });

  it('on a terminal shows runs done / total, elapsed time and ETA', () => {
    const s = stream(true);
    const p = createStudyProgress(s, 3);
    expect(p.active).toBe(true);
    for (let i = 0; i < 3; i++) p.tick();
    p.stop();
    p.stop();
    expect(s.text).toContain('3/3');
    expect(s.text).toContain('elapsed');
    expect(s.text).toContain('ETA');
  });

  it('simulate with stderr piped (as in CI) prints plain lines and no bar', () => {
    const out = join(tempDir('progress-'), 'r');
    const r = spawnSync(join('node_modules', '.bin', 'tsx'), ['sim/cli.ts', '--scenario', 'scenarios/small.yaml', '--duration', '10m', '--seeds', '1,2', '--jobs', '2', '--invocations', 'none', '--out', out], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('shared-least-loaded-ttl-suspend seed 2:');
    expect(r.stderr).not.toMatch(/[\r\u001b\u2588\u2591]/);
    expect(r.stderr).not.toContain('ETA');
  });
});
