/**
 * Error classes of `@stepwise/vision`. Messages name the file, the folder or the argument at
 * fault, the expected and the actual value, the way torchvision's do (and a little more).
 */

/**
 * A file that is not a well-formed IDX file (or not a valid gzip stream around one): wrong
 * magic number, truncated header or data, trailing bytes, labels that do not match the
 * images. torchvision raises `AssertionError`/`RuntimeError` for these.
 */
export class IdxFormatError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'IdxFormatError';
}

/**
 * The dataset's files are not where the dataset looked (torchvision's "Dataset not found"
 * `RuntimeError`), or a URL did not serve them. The message names every place looked in.
 */
export class DatasetNotFoundError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'DatasetNotFoundError';
}
