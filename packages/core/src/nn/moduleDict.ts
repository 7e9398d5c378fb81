import { ValueError } from '../errors.js';
import { describe, Module } from './module.js';

/** What `ModuleDict` and `update` take: an object, a Map, or [key, module] pairs. */
export type ModuleEntries =
  | Record<string, Module>
  | Map<string, Module>
  | Iterable<readonly [string, Module]>;

function entriesOf(what: string, modules: ModuleEntries): [string, Module][] {
  if (modules instanceof Map) return [...modules.entries()];
  if (modules !== null && typeof modules === 'object' && !(Symbol.iterator in modules)) {
    return Object.entries(modules as Record<string, Module>);
  }
  const out: [string, Module][] = [];
  for (const item of modules as Iterable<readonly [string, Module]>) {
    if (!Array.isArray(item) || item.length !== 2) {
      throw new TypeError(`${what}: expected [key, module] pairs, got ${describe(item)}`);
    }
    out.push([item[0], item[1]]);
  }
  return out;
}

/**
 * `torch.nn.ModuleDict`: modules registered under string keys, in insertion order (a key
 * set again keeps its place; a deleted and re-added key goes last), so parameters are named
 * `'<dict>.<key>.weight'`. Iterating yields the keys, as PyTorch's.
 */
export class ModuleDict extends Module {
  #items = new Map<string, Module>();

  constructor(modules?: ModuleEntries) {
    super();
    if (modules) this.update(modules);
  }

  /** `module_dict[key]`. */
  get(key: string): Module {
    const m = this.#items.get(key);
    if (!m)
      throw new ValueError(`ModuleDict has no key '${key}' (keys: ${[...this.#items.keys()].join(', ')})`);
    return m;
  }

  /** `module_dict[key] = module`. */
  set(key: string, module: Module): this {
    if (typeof key !== 'string') throw new TypeError(`ModuleDict keys must be strings, got ${typeof key}`);
    if (!(module instanceof Module))
      throw new TypeError(`ModuleDict: entry '${key}' is not a Module (got ${describe(module)})`);
    this.registerModule(key, module);
    this.#items.set(key, module);
    return this;
  }

  /** `del module_dict[key]`; false when absent. */
  delete(key: string): boolean {
    if (!this.#items.has(key)) return false;
    this.#items.delete(key);
    this._unregister(key);
    return true;
  }

  /** `key in module_dict`. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** `module_dict.pop(key)`: removes and returns the module. */
  pop(key: string): Module {
    const m = this.get(key);
    this.delete(key);
    return m;
  }

  /** Removes every entry. */
  clear(): void {
    for (const k of [...this.#items.keys()]) this.delete(k);
  }

  /** `update(modules)`: sets each entry, in order. */
  update(modules: ModuleEntries): this {
    for (const [k, m] of entriesOf('ModuleDict.update', modules)) this.set(k, m);
    return this;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.size;
  }

  /** The keys, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  /** The modules, in insertion order. */
  values(): IterableIterator<Module> {
    return this.#items.values();
  }

  /** `items()`: [key, module] pairs. */
  items(): IterableIterator<[string, Module]> {
    return this.#items.entries();
  }

  /** Iterates over the keys, as PyTorch's `ModuleDict`. */
  [Symbol.iterator](): IterableIterator<string> {
    return this.#items.keys();
  }

  forward(): never {
    throw new ValueError('ModuleDict has no forward(); call its modules');
  }
}
