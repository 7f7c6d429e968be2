/** What a plan refuses before any change: each problem names the object and what to do. */
export class PlanError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'PlanError';
  }
}
