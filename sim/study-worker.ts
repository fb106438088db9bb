import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarioFile } from '../scenarios/load.ts';
import { encodeSimResult, type EncodedSimResult } from './study-codec.ts';
import { StudyExecutor, type StudyTask } from './study-executor.ts';
import { applyScenarioOverrides, scenarioSha256, type ScenarioOverrides } from './study-scenario.ts';
import type { InvocationsOption } from './invocation-sample.ts';

// The body of one study worker thread (started by study-runner.ts): loads the
// scenario file itself, applies the command line's overrides, checks it got
// the scenario the main thread has, then runs the tasks it is sent, one at a
// time, and posts each result back with its buffers transferred.

/** What the main thread hands a study worker when it starts it. */
export interface StudyWorkerData {
  readonly scenarioFile: string;
  readonly overrides: ScenarioOverrides;
  /** scenarioSha256 of the scenario in the main thread. */
  readonly scenarioSha256: string;
  readonly sampleEveryMs: number;
  readonly invocations: InvocationsOption;
  /** --allow-outside of the command: the scenario may read files outside its folder. */
  readonly allowOutside: boolean;
}

/** A task message: run this pair; `id` comes back with its result. Sent only after `ready`. */
export interface StudyTaskMessage extends StudyTask {
  readonly id: number;
}

/** What a study worker posts back. */
export type StudyWorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'result'; readonly id: number; readonly wallMs: number; readonly workloadMs: number; readonly result: EncodedSimResult }
  | { readonly kind: 'error'; readonly id: number; readonly name: string; readonly message: string; readonly stack: string };

const port = parentPort;
if (port === null) throw new Error('study-worker.ts runs in a worker thread (see study-runner.ts)');
const data = workerData as StudyWorkerData;

function fail(id: number, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const msg: StudyWorkerMessage = { kind: 'error', id, name: e.name, message: e.message, stack: e.stack ?? '' };
  port!.postMessage(msg);
}

let executor: StudyExecutor;
try {
  const scenario = applyScenarioOverrides(loadScenarioFile(data.scenarioFile, { allowOutside: data.allowOutside }), data.overrides);
  if (scenarioSha256(scenario) !== data.scenarioSha256) {
    throw new Error(`${data.scenarioFile}: the scenario changed on disk while the study was starting; run it again`);
  }
  executor = new StudyExecutor(scenario, data.sampleEveryMs, data.invocations, () => performance.now());
  const ready: StudyWorkerMessage = { kind: 'ready' };
  port.postMessage(ready);
} catch (err) {
  fail(-1, err);
  throw err;
}

// One task at a time, in the order sent: a queued task starts only once the
// previous result is posted, so the main thread gets each result promptly.
let queue: Promise<void> = Promise.resolve();
port.on('message', (task: StudyTaskMessage) => {
  queue = queue.then(() =>
    executor.run(task).then(
      (out) => {
        const { message, transfer } = encodeSimResult(out.result);
        const msg: StudyWorkerMessage = { kind: 'result', id: task.id, wallMs: out.wallMs, workloadMs: out.workloadMs, result: message };
        port.postMessage(msg, transfer);
      },
      (err: unknown) => fail(task.id, err),
    ),
  );
});
