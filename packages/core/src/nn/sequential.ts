import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { ReLU } from './activation.js';
import { Linear } from './linear.js';
import { describe, Module } from './module.js';

/** Whether `m` is exactly a `C`, running `C`'s own forward. */
function plain<C extends abstract new (...args: never[]) => Module>(m: Module, C: C): m is InstanceType<C> {
  return m.constructor === C && !Object.hasOwn(m, 'forward');
}

/**
 * `torch.nn.Sequential`: runs its modules in order, each on the previous one's output.
 * `new Sequential(a, b, c)` names them '0', '1', '2' (so parameters are '0.weight', ...);
 * `new Sequential({ conv: a, act: b })` keeps the given names, like PyTorch's OrderedDict form.
 */
export class Sequential extends Module {
  #items: Module[] = [];

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !(first instanceof Module) && typeof first === 'object') {
      for (const [k, m] of Object.entries(first as Record<string, Module>)) this.add(k, m);
    } else {
      for (const [i, m] of (modules as Module[]).entries()) this.add(String(i), m);
    }
  }

  private add(name: string, m: Module): void {
    if (!(m instanceof Module))
      throw new TypeError(`Sequential: entry '${name}' is not a Module (got ${describe(m)})`);
    this.registerModule(name, m);
    this.#items.push(m);
  }

  /** Appends a module at the end (PyTorch's `append`). */
  append(m: Module): this {
    this.add(String(this.#items.length), m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const m = this.#items[i < 0 ? this.#items.length + i : i];
    if (!m)
      throw new ValueError(`index ${i} is out of range for a Sequential of ${this.#items.length} modules`);
    return m;
  }

  /** Iterates over the modules, in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  forward(input: any): any {
    const items = this.#items;
    let x = input;
    for (let i = 0; i < items.length; i++) {
      const m = items[i]!;
      // A Linear followed by a ReLU runs as one backend call (ReLU applied as the product
      // is stored: one pass over the activation fewer), with PyTorch's values and graph
      // nodes; only for the library's own classes with their own forward, so a subclass
      // or a patched forward runs as written.
      if (x instanceof Tensor && plain(m, Linear) && i + 1 < items.length && plain(items[i + 1]!, ReLU)) {
        x = m._forwardRelu(x);
        i++;
      } else x = m.forward(x);
    }
    return x;
  }
}

/** `torch.nn.ModuleList`: a list of modules registered as '0', '1', ... (no forward of its own). */
export class ModuleList extends Module {
  #items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Appends a module at the end. */
  append(m: Module): this {
    if (!(m instanceof Module))
      throw new TypeError(`ModuleList.append: expected a Module, got ${describe(m)}`);
    this.registerModule(String(this.#items.length), m);
    this.#items.push(m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The module at index `i` (negative counts from the end). */
  at(i: number): Module {
    const m = this.#items[i < 0 ? this.#items.length + i : i];
    if (!m)
      throw new ValueError(`index ${i} is out of range for a ModuleList of ${this.#items.length} modules`);
    return m;
  }

  /** Iterates over the modules, in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  forward(): never {
    throw new ValueError('ModuleList has no forward(); call its modules');
  }
}
