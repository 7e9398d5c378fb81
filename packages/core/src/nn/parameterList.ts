import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { describe, Module } from './module.js';
import { Parameter } from './parameter.js';

function asParameter(what: string, v: Tensor): Parameter {
  if (v instanceof Parameter) return v;
  // PyTorch wraps a plain tensor into a Parameter on assignment.
  if (v instanceof Tensor) return new Parameter(v);
  throw new TypeError(`${what}: expected an nn.Parameter or a Tensor, got ${describe(v)}`);
}

/**
 * `torch.nn.ParameterList`: parameters registered as `'0'`, `'1'`, ... (a plain tensor is
 * wrapped in a Parameter, as PyTorch does), so they appear in `parameters()` and the state
 * dict of the module that holds the list.
 */
export class ParameterList extends Module {
  #items: Parameter[] = [];

  constructor(parameters: Iterable<Tensor> = []) {
    super();
    this.extend(parameters);
  }

  /** Appends a parameter (a tensor becomes a `Parameter`). */
  append(p: Tensor): this {
    const param = asParameter('ParameterList.append', p);
    this.registerParameter(String(this.#items.length), param);
    this.#items.push(param);
    return this;
  }

  /** Appends every parameter of an iterable. */
  extend(parameters: Iterable<Tensor>): this {
    if (parameters === null || typeof (parameters as any)[Symbol.iterator] !== 'function') {
      throw new TypeError(
        `ParameterList.extend should be called with an iterable, but got ${describe(parameters)}`,
      );
    }
    for (const p of parameters) this.append(p);
    return this;
  }

  /** The i-th parameter (negative counts from the end). */
  at(i: number): Parameter {
    const p = this.#items[i < 0 ? this.#items.length + i : i];
    if (!p)
      throw new ValueError(
        `index ${i} is out of range for a ParameterList of ${this.#items.length} parameters`,
      );
    return p;
  }

  /** `plist[i] = p`. */
  set(i: number, p: Tensor): this {
    const j = i < 0 ? this.#items.length + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= this.#items.length) {
      throw new ValueError(
        `index ${i} is out of range for a ParameterList of ${this.#items.length} parameters`,
      );
    }
    const param = asParameter('ParameterList.set', p);
    this.registerParameter(String(j), param);
    this.#items[j] = param;
    return this;
  }

  /** Number of parameters. */
  get length(): number {
    return this.#items.length;
  }

  /** Iterates over the parameters. */
  [Symbol.iterator](): Iterator<Parameter> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    throw new ValueError('ParameterList has no forward(); use its parameters');
  }

  /** PyTorch's `ParameterList.extra_repr`: one line per parameter. */
  override extraRepr(): string {
    return this.#items
      .map((p, i) => `  (${i}): Parameter containing: [torch.${p.dtype} of size ${p.shape.join('x')}]`)
      .join('\n');
  }

  override toString(): string {
    const lines = this.extraRepr()
      .split('\n')
      .filter((l) => l);
    if (lines.length === 0) return 'ParameterList()';
    if (lines.length === 1) return `ParameterList(${lines[0]})`;
    return `ParameterList(\n  ${lines.join('\n  ')}\n)`;
  }
}
