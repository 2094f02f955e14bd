// A config that cannot be used. Each problem names where it is (file and path) and what is wrong, so the operator
// can fix it without reading the source.
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.path === '' ? '(top level)' : p.path}: ${p.message}`);
    super(`invalid config ${source}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}
