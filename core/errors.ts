/**
 * An error of this program: carries a stable code and a message prefixed with the module that
 * raised it (as MiniSearch does), so a log line says where it came from without a stack.
 */
export class RectifyError extends Error {
  constructor(
    readonly module: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${module}: ${message}`, options);
    this.name = 'RectifyError';
  }
}
