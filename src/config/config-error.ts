// A config (or another file the operator writes, such as a cost-model scenario) that cannot be used. Each problem
// names where it is (file and path) and what is wrong, so the operator can fix it without reading the source.
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  /** `what`: the kind of file, as the message names it. */
  constructor(source: string, problems: readonly ConfigProblem[], what = 'config') {
    const lines = problems.map((p) => `  - ${p.path === '' ? '(top level)' : p.path}: ${p.message}`);
    super(`invalid ${what} ${source}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}
