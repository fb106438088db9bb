import cliProgress from 'cli-progress';

/** A progress display of a study's runs. */
export interface StudyProgress {
  /** Whether anything is drawn (the stream is a terminal). */
  readonly active: boolean;
  /** One more run is done. */
  tick(): void;
  /** Draws the final state and leaves the line. */
  stop(): void;
}

/** The stream the bar may draw on: stderr, or a test's stand-in. */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const BAR_WIDTH = 30;

// Runs finish in bursts across threads, so the ETA is the average pace so far
// (elapsed / done x remaining), not cli-progress's rate over the last updates,
// which reads "infinite" while a long run is in flight.
const format: cliProgress.GenericFormatter = (_options, params) => {
  const elapsed = ((params.stopTime ?? Date.now()) - params.startTime) / 1000;
  const done = params.value;
  const filled = Math.round(Math.min(1, Math.max(0, params.progress)) * BAR_WIDTH);
  const eta = done > 0 ? clock((elapsed * (params.total - done)) / done) : '?';
  return `runs ${'\u2588'.repeat(filled)}${'\u2591'.repeat(BAR_WIDTH - filled)} ${done}/${params.total} | elapsed ${clock(elapsed)} | ETA ${eta}`;
};

/**
 * A progress bar of `total` runs on `stream` (runs done / total, elapsed,
 * ETA), drawn only when the stream is a terminal: in CI, in a pipe or in a
 * test nothing is written at all.
 */
export function createStudyProgress(stream: ProgressStream | undefined, total: number): StudyProgress {
  if (stream === undefined || stream.isTTY !== true) return { active: false, tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream, format, hideCursor: false, fps: 2 });
  bar.start(total, 0);
  let stopped = false;
  return {
    active: true,
    tick: () => bar.increment(),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
