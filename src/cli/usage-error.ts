import { parseArgs, type ParseArgsConfig } from 'node:util';
// A mistake in how the command was invoked (unknown flag, bad value): the dispatcher prints the message and exits
// with status 2, the usual code for usage errors, instead of a stack trace and 1.
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that ran and found a failure to report (exit 1), its message saying what: no stack trace. */
export class CommandFailed extends Error {}

/** node:util's parseArgs, with a mistake on the command line (unknown flag, missing value) as a UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
