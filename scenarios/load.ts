import { readFileSync } from 'node:fs';
import { parseScenario, ScenarioError } from './schema.ts';
import type { Scenario } from './scenario.ts';

/** Reads and validates a JSON scenario file. */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, [`is not valid JSON: ${(err as Error).message}`]);
  }
  return parseScenario(data, file);
}
