// The library's error types. One base class, a few subclasses, one message format:
// `<function>: <what was expected>, got <actual>. <how to fix>.`

/** Base class of every error the library throws on purpose. */
export class CompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An option or argument is out of range, of the wrong type, or contradicts another. */
export class ConfigError extends CompressionError {}

/** A layer type (or layer configuration) that an operation does not support. */
export class UnsupportedLayerError extends CompressionError {
  constructor(
    message: string,
    readonly layerName?: string,
    readonly layerClass?: string,
  ) {
    super(message);
  }
}

/** A tensor or model has a shape other than the one required. */
export class ShapeError extends CompressionError {}

/** A data set or model file is missing, truncated, corrupt or malformed. */
export class DataError extends CompressionError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** A model cannot be written to a target format. */
export class ExportError extends CompressionError {}

/**
 * A package needed on this code path is not installed: charts, the browser, load tests and the
 * course's data sets use packages that are not dependencies of tfjs-compress. The message names
 * the install command.
 */
export class MissingPackageError extends CompressionError {
  constructor(
    message: string,
    readonly packageName: string,
  ) {
    super(message);
  }
}

/** Formats a value for an error message: short, and never a whole tensor or array. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (Array.isArray(value)) {
    // Short arrays of short scalars only: a nested or long-string array is described, never
    // stringified (a deeply nested one would overflow the stack, a long string would be echoed).
    const flat =
      value.length <= 8 &&
      value.every(
        (v) =>
          v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 20),
      );
    return flat ? JSON.stringify(value) : `an array of length ${value.length}`;
  }
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  return typeof value;
}
