import type { ConformanceContext } from '../context.js';

/**
 * Every suite of the conformance package, by name. A suite file exports one function that
 * registers its tests (`describe`/`it`) using the context. Add new suites here.
 */
export const suites: Record<string, (ctx: ConformanceContext) => void> = {};
