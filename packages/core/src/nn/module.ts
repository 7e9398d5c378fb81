import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { keep, noGrad } from '../engine.js';
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { inspectCustom } from '../formatTensor.js';
import { Tensor } from '../tensor.js';
import { Parameter } from './parameter.js';

/** What `loadStateDict` reports (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  /** Keys the module expected but the state dict lacks. */
  missingKeys: string[];
  /** Keys of the state dict the module does not have. */
  unexpectedKeys: string[];
}

/** A state dict: names (`'0.weight'`, `'fc.bias'`) to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

/** The error `loadStateDict` throws, listing every problem at once, as PyTorch does. */
export class StateDictError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'StateDictError';
}

const internals = Symbol('stepwise.nn.module');

interface ModuleInternals {
  /** Explicitly registered entries (`registerModule`/`registerParameter`/`registerBuffer`). */
  modules: Map<string, Module | null>;
  parameters: Map<string, Parameter | null>;
  buffers: Map<string, Tensor | null>;
  nonPersistent: Set<string>;
}

/**
 * `torch.nn.Module`: the base class of layers and models.
 *
 * Registration: a field holding a `Module` or a `Parameter` is a submodule or parameter of
 * its owner, named after the field, in the order the fields were first assigned — so
 * `this.fc = new nn.Linear(4, 2)` in a constructor registers `fc.weight` and `fc.bias`
 * just as in PyTorch. This is discovered when it is needed (`parameters()`,
 * `stateDict()`, ...) by looking at the object's own fields; there is no Proxy, so field
 * access stays as fast as on any object. Names that cannot be fields in order (Sequential's
 * `'0'`, `'1'`, ...; JS orders integer-like keys first) or tensors that are buffers, not
 * parameters, go through `registerModule`, `registerParameter` and `registerBuffer`; those
 * come after the fields. Assigning `null` to a field unregisters it.
 *
 * Calling: JS classes cannot be made callable without tricks, so a model runs with
 * `model.forward(x)` or the equivalent `model.call(x)`.
 */
export abstract class Module {
  /** Whether the module is in training mode (`train()`/`eval()`), read by Dropout. */
  training = true;

  /** @internal */
  declare readonly [internals]: ModuleInternals;

  constructor() {
    Object.defineProperty(this, internals, {
      value: { modules: new Map(), parameters: new Map(), buffers: new Map(), nonPersistent: new Set() },
      enumerable: false,
    });
  }

  /** The computation of the module; subclasses define it. */
  abstract forward(...args: any[]): any;

  /** Same as `forward(...args)` (PyTorch's `module(x)`). */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return this.forward(...args);
  }

  // ---- registration ----

  /** PyTorch's `register_module` / `add_module`: a submodule under `name` (null reserves the name). */
  registerModule(name: string, module: Module | null): void {
    checkName(name, this);
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`registerModule('${name}'): expected a Module or null, got ${describe(module)}`);
    }
    this[internals].modules.set(name, module);
  }

  /** PyTorch's `add_module`. */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  /** PyTorch's `register_parameter`. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName(name, this);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(
        `registerParameter('${name}'): expected an nn.Parameter or null, got ${describe(param)} (wrap a tensor with new nn.Parameter(t))`,
      );
    }
    this[internals].parameters.set(name, param);
  }

  /**
   * PyTorch's `register_buffer(name, tensor, persistent=True)`: a tensor that is state but
   * not a parameter (saved in the state dict unless `{ persistent: false }`, moved by `to()`,
   * never trained). `buffers()` / `namedBuffers()` list it.
   */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean } | boolean = {}): void {
    const persistent = typeof opts === 'boolean' ? opts : (opts?.persistent ?? true);
    checkName(name, this);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer('${name}'): expected a Tensor or null, got ${describe(tensor)}`);
    }
    // A module owns its buffers (running statistics...): no loop boundary releases them.
    if (tensor !== null) keep(tensor);
    this[internals].buffers.set(name, tensor);
    if (persistent) this[internals].nonPersistent.delete(name);
    else this[internals].nonPersistent.add(name);
  }

  /**
   * @internal Removes a `registerModule`/`registerParameter`/`registerBuffer` entry
   * (PyTorch's `del module._modules[name]`), so a later registration goes last. For the
   * containers (ModuleDict, ParameterList, ...).
   */
  _unregister(name: string): void {
    const own = this[internals];
    own.modules.delete(name);
    own.parameters.delete(name);
    own.buffers.delete(name);
    own.nonPersistent.delete(name);
  }

  /** A registered buffer by name (buffers are not fields). */
  getBuffer(name: string): Tensor | null {
    return this[internals].buffers.get(name) ?? null;
  }

  /** Own parameters, fields first (in assignment order), then `registerParameter` ones. */
  private ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as any)[key];
      if (v instanceof Parameter) out.push([key, v]);
    }
    for (const [k, v] of this[internals].parameters) if (v) out.push([k, v]);
    return out;
  }

  private ownModules(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as any)[key];
      if (v instanceof Module) out.push([key, v]);
    }
    for (const [k, v] of this[internals].modules) if (v) out.push([k, v]);
    return out;
  }

  /** Replaces the parameter called `name` of this module (a field or a registered one). */
  private setOwnParameter(name: string, p: Parameter): void {
    if (this[internals].parameters.has(name)) this[internals].parameters.set(name, p);
    else (this as any)[name] = p;
  }

  // ---- traversal ----

  /** Direct submodules (PyTorch's `children()`). */
  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** Direct submodules with their names. */
  *namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [k, m] of this.ownModules()) {
      if (seen.has(m)) continue;
      seen.add(m);
      yield [k, m];
    }
  }

  /** This module and every submodule, depth first, each once (PyTorch's `modules()`). */
  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** `named_modules()`: ('', this), then ('fc', ...), ('features.0', ...), ... */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    function* walk(m: Module, p: string): IterableIterator<[string, Module]> {
      if (seen.has(m)) return;
      seen.add(m);
      yield [p, m];
      for (const [k, c] of m.ownModules()) yield* walk(c, p ? `${p}.${k}` : k);
    }
    yield* walk(this, prefix);
  }

  /** Every parameter of this module and its submodules, each once (PyTorch's `parameters()`). */
  *parameters(recurse = true): IterableIterator<Parameter> {
    for (const [, p] of this.namedParameters('', recurse)) yield p;
  }

  /** `named_parameters()`: names as PyTorch's, e.g. `'0.weight'`, `'features.1.bias'`. */
  *namedParameters(prefix = '', recurse = true): IterableIterator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${k}` : k, p];
      }
    }
  }

  /** Every buffer of this module and its submodules. */
  *buffers(recurse = true): IterableIterator<Tensor> {
    for (const [, b] of this.namedBuffers('', recurse)) yield b;
  }

  /**
   * Yields `[name, buffer]` pairs of this module (and, with `recurse`, its submodules), names prefixed by
   * `prefix`: PyTorch's `named_buffers`.
   */
  *namedBuffers(prefix = '', recurse = true): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [k, b] of m[internals].buffers) {
        if (!b || seen.has(b)) continue;
        seen.add(b);
        yield [mp ? `${mp}.${k}` : k, b];
      }
    }
  }

  /** The submodule at a dotted path (PyTorch's `get_submodule`). */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const next = m.ownModules().find(([k]) => k === part)?.[1];
      if (!next)
        throw new ValueError(`${m.constructor.name} has no submodule '${part}' (looking up '${target}')`);
      m = next;
    }
    return m;
  }

  /** Calls `fn` on every submodule (children first) and then on this one: PyTorch's `apply`, e.g. for custom init. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes ----

  /** Sets training mode on this module and every submodule (PyTorch's `train(mode)`). */
  train(mode = true): this {
    if (typeof mode !== 'boolean')
      throw new TypeError(`train(mode): mode must be a boolean, got ${describe(mode)}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. Dropout becomes the identity. */
  eval(): this {
    return this.train(false);
  }

  /** Sets `requiresGrad` on every parameter (PyTorch's `requires_grad_`). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Clears the gradients of every parameter. As PyTorch 2.x, `setToNone` defaults to true
   * (the grad becomes null); with false the grads are zeroed in place.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        p.grad = null;
      } else {
        noGrad(() => g.zero_());
      }
    }
  }

  // ---- state dict ----

  /**
   * PyTorch's `state_dict()`: every parameter and persistent buffer by its dotted name.
   * The tensors are detached views sharing the parameters' storage (as PyTorch's), so save
   * them (`torch.save`) or clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [mp, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) sd[mp ? `${mp}.${k}` : k] ??= p.detach();
      for (const [k, b] of m[internals].buffers) {
        if (b && !m[internals].nonPersistent.has(k)) sd[mp ? `${mp}.${k}` : k] ??= b.detach();
      }
    }
    return sd;
  }

  /**
   * PyTorch's `load_state_dict(state_dict, strict=True)`: copies values into this module's
   * parameters and buffers (casting to each one's dtype and backend). Everything is checked
   * first — missing and unexpected keys (when `strict`), values that are not tensors,
   * shape mismatches — and one error lists every problem; a failed load changes nothing.
   */
  loadStateDict(
    stateDict: Record<string, unknown> | Map<string, unknown>,
    opts: { strict?: boolean } = {},
  ): IncompatibleKeys {
    const strict = opts.strict ?? true;
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`loadStateDict: expected a state dict object, got ${describe(stateDict)}`);
    }
    const entries = new Map<string, unknown>(
      stateDict instanceof Map ? stateDict : Object.entries(stateDict as Record<string, unknown>),
    );
    const targets = new Map<string, Tensor>();
    for (const [name, t] of Object.entries(this.stateDict())) targets.set(name, t);
    const missingKeys = [...targets.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !targets.has(k));
    const problems: string[] = [];
    for (const [name, target] of targets) {
      if (!entries.has(name)) continue;
      const v = entries.get(name);
      if (!(v instanceof Tensor)) {
        problems.push(
          `While copying the parameter named "${name}", expected a Tensor in the state dict, got ${describe(v)}.`,
        );
      } else if (v.isDisposed) {
        problems.push(
          `While copying the parameter named "${name}", the tensor in the state dict was used after ${v._goneWhy}`,
        );
      } else if (!sameShape(v.shape, target.shape)) {
        problems.push(
          `size mismatch for ${name}: copying a param with shape ${shapeStr(v.shape)} from checkpoint, the shape in current model is ${shapeStr(target.shape)}.`,
        );
      }
    }
    if (strict) {
      if (unexpectedKeys.length)
        problems.unshift(
          `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`,
        );
      if (missingKeys.length)
        problems.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
    }
    if (problems.length) {
      throw new StateDictError(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join('\n\t')}`,
      );
    }
    // Convert everything before writing anything, so a failure in a conversion (a dtype the
    // target backend lacks, say) leaves the module untouched.
    const converted: [Tensor, Tensor, boolean][] = [];
    try {
      for (const [name, target] of targets) {
        if (!entries.has(name)) continue;
        const src = entries.get(name) as Tensor;
        let v = src.detach();
        if (v.dtype !== target.dtype) v = v.to(target.dtype);
        if (v.backend !== target.backend) v = v.to(target.backend);
        converted.push([target, v, v !== src]);
      }
    } catch (e) {
      throw new StateDictError(
        `Error(s) in loading state_dict for ${this.constructor.name}: ${(e as Error).message}`,
      );
    }
    noGrad(() => {
      for (const [target, v] of converted) target.copy_(v);
    });
    for (const [, v] of converted) v.dispose();
    return { missingKeys, unexpectedKeys };
  }

  // ---- conversion ----

  /**
   * PyTorch's `module.to(dtype | device)`: converts every floating-point parameter (and its
   * grad) and buffer to a dtype, or moves them all to a backend. Unlike PyTorch the
   * parameters are replaced by new `Parameter` objects (a stepwise tensor's dtype and
   * backend are fixed), so call it before creating the optimizer — as PyTorch's docs advise.
   */
  to(target: DType | string | Backend): this {
    const isDtype = typeof target === 'string' && ['float32', 'float64', 'int32', 'bool'].includes(target);
    if (isDtype && target !== 'float32' && target !== 'float64') {
      throw new TypeError(`nn.Module.to only accepts floating point dtypes, but got desired dtype=${target}`);
    }
    const convert = (t: Tensor): Tensor => {
      if (isDtype && t.dtype !== 'float32' && t.dtype !== 'float64') return t;
      return t.to(target as any);
    };
    // Check every conversion first (e.g. float64 on webgpu) so a failure changes nothing.
    const plans: [Module, string, Parameter, Tensor][] = [];
    const bufPlans: [Module, string, Tensor][] = [];
    const done = new Map<Tensor, Tensor>();
    for (const m of this.modules()) {
      for (const [k, p] of m.ownParameters()) {
        const v = done.get(p) ?? noGrad(() => convert(p));
        done.set(p, v);
        plans.push([m, k, p, v]);
      }
      for (const [k, b] of m[internals].buffers) if (b) bufPlans.push([m, k, done.get(b) ?? convert(b)]);
    }
    const replaced = new Map<Tensor, Parameter>();
    for (const [m, k, p, v] of plans) {
      if (v === p) continue;
      let np = replaced.get(p);
      if (!np) {
        np = new Parameter(v.detach(), p.requiresGrad);
        if (p.grad) np.grad = noGrad(() => convert(p.grad!));
        replaced.set(p, np);
      }
      m.setOwnParameter(k, np);
    }
    // Converted buffers belong to the module as the originals did: no loop boundary frees them.
    for (const [m, k, b] of bufPlans) m[internals].buffers.set(k, keep(b));
    return this;
  }

  /** `module.float()`: every floating-point parameter and buffer to float32. */
  float(): this {
    return this.to('float32');
  }

  /** `module.double()`: every floating-point parameter and buffer to float64. */
  double(): this {
    return this.to('float64');
  }

  /**
   * PyTorch's `repr(model)`: the class name, `extraRepr()`, then every submodule as
   * `(name): repr` indented by two (a module registered as null prints `None`), e.g.
   * `Sequential(\n  (0): Linear(in_features=784, out_features=10, bias=True)\n  (1): ReLU()\n)`.
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const children: [string, Module | null][] = [];
    for (const key of Object.keys(this)) {
      const v = (this as any)[key];
      if (v instanceof Module) children.push([key, v]);
    }
    children.push(...this[internals].modules);
    const childLines = children.map(
      ([k, m]) => `(${k}): ${m === null ? 'None' : m.toString().replace(/\n/g, '\n  ')}`,
    );
    const lines = [...extraLines, ...childLines];
    let s = `${this.constructor.name}(`;
    if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
    else if (lines.length > 0) s += `\n  ${lines.join('\n  ')}\n`;
    return `${s})`;
  }

  /** `console.log(model)` in Node prints `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }

  /** The part inside the parentheses of `toString()`; layers override it. */
  extraRepr(): string {
    return '';
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkName(name: string, m: Module): void {
  if (typeof name !== 'string')
    throw new TypeError(`module/parameter name should be a string, got ${describe(name)}`);
  if (name === '') throw new ValueError('module/parameter name can\'t be empty string ""');
  if (name.includes('.')) throw new ValueError(`module/parameter name can't contain ".", got: ${name}`);
  if (Object.hasOwn(m, name) && (m as any)[name] !== undefined) {
    throw new ValueError(`attribute '${name}' already exists on ${m.constructor.name}`);
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `Tensor(shape=${shapeStr(v.shape)}, dtype=${v.dtype})`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** Used by layers: the shape check message PyTorch gives for a wrong input rank. */
export function expectRank(what: string, input: Tensor, ranks: readonly number[]): void {
  if (!(input instanceof Tensor))
    throw new TypeError(`${what}: input must be a Tensor, got ${describe(input)}`);
  if (!ranks.includes(input.dim())) {
    throw new ShapeError(
      `${what}: expected ${ranks.map((r) => `${r}D`).join(' or ')} input, got ${input.dim()}D input of shape ${shapeStr(input.shape)}`,
    );
  }
}
