/**
 * An error meant for the user: a sentence saying what failed and, where we know it, what to do.
 * The CLI prints these without a stack trace; anything else is a bug and keeps its stack.
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

/** Wrong arguments: the command was not run at all. The CLI exits 2 for these, 1 for other LabErrors. */
export class UsageError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'UsageError';
  }
}

export function describeError(err: unknown): string {
  if (err instanceof LabError) {
    return [err.message, err.details, err.hint && `What to try: ${err.hint}`].filter(Boolean).join('\n');
  }
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
