import type { Backend, DType, Tensor } from '@stepwise/core';

/** What every suite file receives: the backend under test and the suite's shared helpers. */
export interface ConformanceContext {
  /** Registry name of the backend under test, e.g. 'cpu-js'. */
  readonly name: string;
  /**
   * The backend under test. Valid inside tests and hooks (it is created in a `beforeAll`),
   * already registered and set as the default backend, so `torch.tensor(...)` uses it.
   */
  backend(): Backend;
  /** The float64 reference backend of the cross-backend suite (cpu-js in the backends' tests). */
  reference(): Backend;
  /** True when the backend stores this dtype; otherwise float64 cases assert the clear error. */
  supports(dtype: DType): boolean;
  /** True when the backend can read synchronously (`dataSync`, `item`, `tolist`). */
  readonly syncReads: boolean;
  /**
   * Leaves `t` alive after the test (every other tensor a test makes is disposed when it
   * ends, and the memory check allows for the kept ones). Returns `t`.
   */
  keepAfterTest<T extends Tensor>(t: T): T;
}
