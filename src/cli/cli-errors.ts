/** A command used wrongly: one line on stderr pointing at the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help applies (`dlq list`); `''` for the overview. */
    readonly command = '',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem the user must fix (a file): one line on stderr, exit code 2, as for a Redis that cannot be used. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The text to write to stdout and stderr. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}
