/** Problems found in a scenario file, one line each in the form `file:line:col path: message`. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ScenarioError';
  }
}
