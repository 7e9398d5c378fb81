/**
 * The bind groups that hand a dispatch its parameters and storage buffers.
 *
 * A bind group cannot be destroyed: it lives until JavaScript collects its wrapper, and Dawn
 * recycles it only after that, once the event loop turns. Until then it holds native
 * memory, and on lavapipe one memory mapping (a descriptor set) of the ~65,000 a process
 * may have. One bind group per combination of buffers (the old scheme) made ~140,000 of
 * them in the conformance suite, most used once; the uncollected ones ran the test process
 * out of mappings (SIGSEGV in createBindGroup). A loop whose tensors land in different
 * pooled buffers each step made new ones every step. So:
 *
 * - A kernel with at most four storages binds each buffer through the buffer's own bind
 *   group (one per access mode, and per range for the split paths), storage k in group k.
 *   WebGPU guarantees only four groups, so the parameter ring cannot have its own: it is
 *   binding 1 of group 0, which is why a buffer bound first has a group of its own for that
 *   place. Only group 0 takes a dynamic offset (on lavapipe every dynamic offset makes a
 *   dispatch dearer: one group per buffer, each with the ring, cost 25% more time).
 *   The groups are reused with the buffer from the pool, whatever the other buffers of a
 *   dispatch are, so a steady loop creates none. They go when the buffer is destroyed, or
 *   when it is among the least recently bound past `MAX_BUFFERS_WITH_GROUPS` (tensors a
 *   program keeps but no longer uses must not hold them).
 * - A wider kernel (a fused optimizer step over several tensors) takes a parameters-only
 *   group 0 and one group 1 for all its buffers, from a small least-recently-used cache.
 */
import type { PooledBuffer } from './pool.js';

/**
 * A buffer's own groups, by mode (and range). They bind one runtime's parameter ring, so
 * they belong to that runtime; another runtime on the same device that binds the buffer
 * (the tests' second kernel variant) takes them over.
 */
export interface BufferGroups {
  readonly owner: BindGroups;
  readonly map: Map<string, GPUBindGroup>;
}

/** A byte range of a buffer to bind (offset a multiple of 256). */
export interface Binding {
  readonly buf: PooledBuffer;
  readonly offset: number;
  readonly size: number;
}

/** Storages bound one group each: WebGPU guarantees four bind groups. */
const MAX_PER_BUFFER_STORAGES = 4;
/**
 * Bytes of the parameter ring a buffer's group binds: the most parameters a kernel that
 * binds per buffer may have (the ring keeps this much slack past its end).
 */
export const PARAMS_WINDOW = 1024;
/** Combined bind groups cached for the wide kernels (a training step needs a few). */
const MAX_COMBINED = 1024;
/** Ranged bind groups kept per buffer: split paths use a few ranges each. */
const MAX_GROUPS_PER_BUFFER = 16;
/** Buffers holding their own groups (two or three each, typically: written once, then read). */
const MAX_BUFFERS_WITH_GROUPS = 2048;

/** Whether a kernel binds one group per buffer (else a params group and a combined group). */
export function bindsPerBuffer(modes: string, paramBytes: number): boolean {
  return modes.length <= MAX_PER_BUFFER_STORAGES && paramBytes <= PARAMS_WINDOW;
}

/**
 * Kernels declare the parameters as `@group(0) @binding(0)` and storage k as
 * `@group(1) @binding(k)`; a kernel that binds per buffer reads storage k from
 * `@group(k) @binding(0)` and the parameters from binding 1 of group 0.
 */
export function placeBindings(code: string, perBuffer: boolean): string {
  if (!perBuffer) return code;
  return code
    .replace('@group(0) @binding(0) var<uniform>', '@group(0) @binding(1) var<uniform>')
    .replace(/@group\(1\) @binding\((\d+)\)/g, (_, k: string) => `@group(${k}) @binding(0)`);
}

export class BindGroups {
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly paramsGroups = new Map<number, GPUBindGroup>();
  /** Wide kernels' groups by modes and buffer ids, least recently used first. */
  private readonly combined = new Map<string, GPUBindGroup>();
  /** Buffers holding groups, least recently bound first (a Set iterates in insertion order). */
  private readonly owners = new Set<PooledBuffer>();
  /** The groups returned by `forDispatch` (reused: one dispatch at a time). */
  private readonly scratch: GPUBindGroup[] = [];
  /** Groups held by buffers now. */
  private perBuffer = 0;
  /** Bind groups created over the runtime's life. */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** The parameter ring, bound at a dynamic offset per dispatch. */
    private readonly params: GPUBuffer,
    /** A whole buffer binds at most this many bytes (larger storages bind ranges). */
    private readonly maxBindingBytes: number,
  ) {}

  /** Bind groups held now (each may cost a mapping on lavapipe). */
  get held(): number {
    return this.perBuffer + this.combined.size + this.paramsGroups.size;
  }

  /** A kernel's bind group layouts, group 0 first. */
  layoutsFor(modes: string, paramBytes: number): GPUBindGroupLayout[] {
    if (bindsPerBuffer(modes, paramBytes)) return [...modes].map((m, k) => this.layout(m, k === 0));
    return [this.layout('', true), this.layout(modes, false)];
  }

  /** The groups to set at indices 0, 1, ... for one dispatch binding `bufs` in `modes`. */
  forDispatch(
    modes: string,
    paramBytes: number,
    bufs: readonly (PooledBuffer | Binding)[],
  ): readonly GPUBindGroup[] {
    const out = this.scratch;
    if (bindsPerBuffer(modes, paramBytes)) {
      out.length = bufs.length;
      for (let i = 0; i < bufs.length; i++) out[i] = this.ofBuffer(modes[i]!, bufs[i]!, i === 0);
    } else {
      out.length = 2;
      out[0] = this.paramsOnly(paramBytes);
      out[1] = this.ofSet(modes, bufs);
    }
    return out;
  }

  /** Drops a buffer's groups (a destroyed buffer's, or the least recently bound). */
  drop(buf: PooledBuffer): void {
    if (buf.groups?.owner !== this) return;
    this.perBuffer -= buf.groups.map.size;
    buf.groups = null;
    this.owners.delete(buf);
  }

  /** Buffer `b`'s group for `mode`; `first`: in group 0, with the parameters. */
  private ofBuffer(mode: string, b: PooledBuffer | Binding, first: boolean): GPUBindGroup {
    const buf = 'buf' in b ? b.buf : b;
    const place = first ? `${mode}p` : mode;
    const key = 'buf' in b ? `${place}${b.offset}+${b.size}` : place;
    if (buf.groups?.owner === this) {
      this.owners.delete(buf);
    } else {
      buf.groups?.owner.drop(buf);
      if (this.owners.size >= MAX_BUFFERS_WITH_GROUPS) this.drop(this.owners.values().next().value!);
    }
    this.owners.add(buf);
    buf.groups ??= { owner: this, map: new Map() };
    const groups = buf.groups.map;
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= MAX_GROUPS_PER_BUFFER) {
        this.perBuffer -= groups.size;
        groups.clear();
      }
      const entries = [this.storageEntry(0, b)];
      if (first) entries.push(this.paramsEntry(1, PARAMS_WINDOW));
      g = this.create(this.layout(mode, first), entries);
      groups.set(key, g);
      this.perBuffer++;
    }
    return g;
  }

  private ofSet(modes: string, bufs: readonly (PooledBuffer | Binding)[]): GPUBindGroup {
    let key = modes;
    for (const b of bufs) key += 'buf' in b ? `:${b.buf.id}@${b.offset}+${b.size}` : `:${b.id}`;
    let g = this.combined.get(key);
    if (g) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
      this.combined.delete(key);
    } else {
      g = this.create(
        this.layout(modes, false),
        bufs.map((b, i) => this.storageEntry(i, b)),
      );
      if (this.combined.size >= MAX_COMBINED) this.combined.delete(this.combined.keys().next().value!);
    }
    this.combined.set(key, g);
    return g;
  }

  /** Group 0 of a wide kernel: the parameters alone, one group per parameter size. */
  private paramsOnly(bytes: number): GPUBindGroup {
    let g = this.paramsGroups.get(bytes);
    if (!g) {
      g = this.create(this.layout('', true), [this.paramsEntry(0, bytes)]);
      this.paramsGroups.set(bytes, g);
    }
    return g;
  }

  private create(layout: GPUBindGroupLayout, entries: GPUBindGroupEntry[]): GPUBindGroup {
    this.created++;
    return this.device.createBindGroup({ layout, entries });
  }

  private storageEntry(binding: number, b: PooledBuffer | Binding): GPUBindGroupEntry {
    return {
      binding,
      resource:
        'buf' in b
          ? { buffer: b.buf.buffer, offset: b.offset, size: b.size }
          : { buffer: b.buffer, size: Math.min(b.bytes, this.maxBindingBytes) },
    };
  }

  private paramsEntry(binding: number, size: number): GPUBindGroupEntry {
    return { binding, resource: { buffer: this.params, size } };
  }

  /**
   * The layout of storages in `modes` ('r' read-only, 'w' read-write) at bindings 0, 1, ...,
   * followed by the parameters (a dynamic-offset uniform) if `withParams`.
   */
  private layout(modes: string, withParams: boolean): GPUBindGroupLayout {
    const key = `${modes}${withParams ? '+p' : ''}`;
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [...modes].map((m, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: m === 'w' ? ('storage' as const) : ('read-only-storage' as const) },
      }));
      if (withParams) {
        entries.push({
          binding: modes.length,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true },
        });
      }
      l = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, l);
    }
    return l;
  }
}
