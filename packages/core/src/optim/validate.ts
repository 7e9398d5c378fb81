/** Option and group checks shared by the optimizers, with PyTorch's messages. */
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';

/** A value's type, for messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (v instanceof Tensor) return 'Tensor';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'Object';
  return typeof v;
}

function fmt(v: unknown): string {
  if (v instanceof Tensor) return `Tensor(shape [${v.shape.join(', ')}])`;
  return Array.isArray(v) ? `(${v.join(', ')})` : String(v);
}

/** `Invalid learning rate: {lr}`; a Tensor lr must have one element. */
export function checkLr(lr: unknown, strict = false): void {
  if (lr instanceof Tensor) {
    if (lr.numel() !== 1) throw new ValueError('Tensor lr must be 1-element');
    return;
  }
  if (typeof lr !== 'number' || Number.isNaN(lr) || (strict ? !(lr > 0) : !(lr >= 0))) {
    throw new ValueError(`Invalid learning rate: ${fmt(lr)}`);
  }
}

/** `Invalid {what} value: {v}` unless `0 <= v` (PyTorch's `if not 0.0 <= weight_decay`). */
export function checkNonNegative(what: string, v: unknown): void {
  if (!(typeof v === 'number' && v >= 0)) throw new ValueError(`Invalid ${what} value: ${v}`);
}

/** `Invalid epsilon value: {eps}` unless `0 <= eps`. */
export function checkEps(eps: unknown): void {
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ValueError(`Invalid epsilon value: ${fmt(eps)}`);
}

/** `Invalid beta parameter at index i: {b}` unless `0 <= b < 1`. */
export function checkBetas(betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new ValueError(`betas must be a pair of numbers, got ${fmt(betas)}`);
  }
  betas.forEach((b, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1))
      throw new ValueError(`Invalid beta parameter at index ${i}: ${b}`);
  });
}

/** A flag must be a boolean (a typo'd option would otherwise act as false). */
export function checkBool(name: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${fmt(v)}`);
}

/** Rejects option names the optimizer does not know (a misspelt `weight_decay` would be silently ignored). */
export function checkKnownOptions(optimizer: string, options: object, known: Record<string, unknown>): void {
  for (const k of Object.keys(options)) {
    if (!(k in known)) {
      throw new TypeError(
        `${optimizer} got an unexpected option '${k}'; known options: ${Object.keys(known).join(', ')}`,
      );
    }
  }
}
