/**
 * Python's pickle, restricted to data: the unpickler of `torch.load`'s PyTorch files and
 * the pickler of `torch.save(obj, { format: 'pt' })`.
 *
 * The unpickler runs the opcodes PyTorch's `torch.save` emits (protocol 2, and the few of
 * protocols 3-5 that only carry data: FRAME, SHORT_BINUNICODE, BINUNICODE8, MEMOIZE,
 * STACK_GLOBAL) over a value model of its own (`PyList`, `PyTuple`, `PyDict`, ...): nothing
 * is executed and no name is resolved. GLOBAL, REDUCE, BUILD and BINPERSID go to the
 * caller's hooks (`ptLoad.ts`), which accept exactly the names PyTorch's `weights_only=True`
 * accepts for tensors and plain containers; any other opcode is refused with a
 * `CheckpointError` naming it and its position. Memory stays within the input's size:
 * every push consumes at least one input byte, lengths are checked against the bytes left
 * before anything is read, and MARKs nest at most `MAX_MARKS` deep.
 */
import { CheckpointError } from '../checkpointFormat.js';

/** A Python list (APPEND/APPENDS only go to these). */
export class PyList {
  constructor(readonly items: PyValue[] = []) {}
}
/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}
/** A dict key as it was written: the key's text, and whether it was an int. */
export interface PyKey {
  readonly text: string;
  readonly int: boolean;
}
/** A Python dict or `collections.OrderedDict`, in insertion order, with its attributes (BUILD). */
export class PyDict {
  readonly entries = new Map<string, { key: PyKey; value: PyValue }>();
  /** The instance attributes a BUILD set (`_metadata` of a module's state dict). */
  attrs: PyDict | null = null;
  constructor(readonly ordered: boolean) {}
}
/** A global the hooks accepted (a rebuild function, a storage type, `torch.float32`, ...). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A value the hooks made (a storage or a tensor description, in `ptLoad.ts`). */
export abstract class PyObject {
  /** Its Python type, for errors. */
  abstract readonly typeName: string;
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyList
  | PyTuple
  | PyDict
  | PyGlobal
  | PyObject;

/** What the caller decides: which globals exist, what REDUCE, BUILD and BINPERSID make. */
export interface UnpickleHooks {
  /** The global `module.name`, or a thrown `CheckpointError` naming it. */
  global(module: string, name: string): PyGlobal;
  reduce(fn: PyValue, args: PyTuple): PyValue;
  build(target: PyValue, state: PyValue): void;
  persistentLoad(pid: PyValue): PyValue;
}

/** The deepest nesting of MARKs (PyTorch's pickles of nested containers nest two per level). */
export const MAX_MARKS = 1024;

/** Every opcode's name, for errors about the ones that are refused. */
const OPCODE_NAMES: Record<number, string> = {
  40: 'MARK',
  46: 'STOP',
  48: 'POP',
  49: 'POP_MARK',
  50: 'DUP',
  70: 'FLOAT',
  73: 'INT',
  74: 'BININT',
  75: 'BININT1',
  76: 'LONG',
  77: 'BININT2',
  78: 'NONE',
  80: 'PERSID',
  81: 'BINPERSID',
  82: 'REDUCE',
  83: 'STRING',
  84: 'BINSTRING',
  85: 'SHORT_BINSTRING',
  86: 'UNICODE',
  88: 'BINUNICODE',
  97: 'APPEND',
  98: 'BUILD',
  99: 'GLOBAL',
  100: 'DICT',
  125: 'EMPTY_DICT',
  101: 'APPENDS',
  103: 'GET',
  104: 'BINGET',
  105: 'INST',
  106: 'LONG_BINGET',
  108: 'LIST',
  93: 'EMPTY_LIST',
  111: 'OBJ',
  112: 'PUT',
  113: 'BINPUT',
  114: 'LONG_BINPUT',
  115: 'SETITEM',
  116: 'TUPLE',
  41: 'EMPTY_TUPLE',
  117: 'SETITEMS',
  71: 'BINFLOAT',
  128: 'PROTO',
  129: 'NEWOBJ',
  130: 'EXT1',
  131: 'EXT2',
  132: 'EXT4',
  133: 'TUPLE1',
  134: 'TUPLE2',
  135: 'TUPLE3',
  136: 'NEWTRUE',
  137: 'NEWFALSE',
  138: 'LONG1',
  139: 'LONG4',
  66: 'BINBYTES',
  67: 'SHORT_BINBYTES',
  140: 'SHORT_BINUNICODE',
  141: 'BINUNICODE8',
  142: 'BINBYTES8',
  143: 'EMPTY_SET',
  144: 'ADDITEMS',
  145: 'FROZENSET',
  146: 'NEWOBJ_EX',
  147: 'STACK_GLOBAL',
  148: 'MEMOIZE',
  149: 'FRAME',
  150: 'BYTEARRAY8',
  151: 'NEXT_BUFFER',
  152: 'READONLY_BUFFER',
};

/** `0x63 GLOBAL`-style name of an opcode byte. */
export function opcodeName(op: number): string {
  const hex = `0x${op.toString(16).padStart(2, '0')}`;
  const name = OPCODE_NAMES[op];
  return name ? `${name} (${hex})` : `unknown opcode ${hex}`;
}

/** A short description of a value's Python type, for errors. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PyGlobal) return v.path;
  return v.typeName;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Two's complement, little-endian, as LONG1 holds it: a number where it is safe, else a bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Runs the pickle `data` (the `what` of errors, e.g. `archive/data.pkl`) and returns the
 * value STOP pops. Refused opcodes, truncation, type errors of containers and everything
 * the hooks refuse are `CheckpointError`s.
 */
export function unpickle(data: Uint8Array, what: string, hooks: UnpickleHooks): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let opAt = 0;
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const fail = (msg: string): never => {
    throw new CheckpointError(`torch.load: ${what}, byte ${opAt}: ${msg}`);
  };
  const need = (n: number) => {
    if (n > data.length - pos)
      fail(`${opcodeName(data[opAt]!)} needs ${n} more bytes than the pickle has (truncated?)`);
  };
  const u8 = () => {
    need(1);
    return data[pos++]!;
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const bytes = (n: number) => {
    need(n);
    pos += n;
    return data.subarray(pos - n, pos);
  };
  const text = (n: number) => {
    try {
      return utf8.decode(bytes(n));
    } catch (e) {
      if (e instanceof CheckpointError) throw e;
      return fail('a string is not valid UTF-8');
    }
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 1024) fail('a GLOBAL name is not terminated by a newline within 1024 bytes');
    const s = text(end - pos);
    pos++;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail(`${opcodeName(data[opAt]!)} on an empty stack`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail(`${opcodeName(data[opAt]!)} on an empty stack`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail(`${opcodeName(data[opAt]!)} without a MARK`);
    stack = prev!;
    return items;
  };
  const setItem = (dict: PyValue, k: PyValue, v: PyValue) => {
    if (!(dict instanceof PyDict)) fail(`SETITEM into a ${pyTypeName(dict)}, not a dict`);
    let key: PyKey;
    if (typeof k === 'string') key = { text: k, int: false };
    else if ((typeof k === 'number' && Number.isInteger(k)) || typeof k === 'bigint')
      key = { text: String(k), int: true };
    else return fail(`a dict key of type ${pyTypeName(k)} (only str and int keys load)`);
    const d = dict as PyDict;
    const had = d.entries.get(key.text);
    if (had && had.key.int !== key.int)
      fail(`a dict has both the int key ${key.text} and the str key '${key.text}'`);
    d.entries.set(key.text, { key: had?.key ?? key, value: v });
  };
  const append = (list: PyValue, items: PyValue[]) => {
    if (!(list instanceof PyList)) fail(`APPEND to a ${pyTypeName(list)}, not a list`);
    for (const it of items) (list as PyList).items.push(it);
  };

  for (;;) {
    opAt = pos;
    if (pos >= data.length) fail('the pickle ends without STOP (truncated?)');
    const op = data[pos++]!;
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto < 2 || proto > 5) fail(`pickle protocol ${proto} (PyTorch writes 2; 2 to 5 are read)`);
        break;
      }
      case 0x95: // FRAME: the whole pickle is in memory, so its length only needs to fit
        need(8);
        pos += 8;
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        if (metastack.length >= MAX_MARKS) fail(`MARKs nested deeper than ${MAX_MARKS}`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x7d:
        stack.push(new PyDict(false));
        break;
      case 0x5d:
        stack.push(new PyList());
        break;
      case 0x29:
        stack.push(new PyTuple([]));
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a: {
        const n = u8();
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58:
        stack.push(text(u32()));
        break;
      case 0x8c:
        stack.push(text(u8()));
        break;
      case 0x8d: {
        const lo = u32();
        const hi = u32();
        if (hi !== 0) fail('a BINUNICODE8 string longer than the pickle');
        stack.push(text(lo));
        break;
      }
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: {
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x61: {
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x68:
      case 0x6a: {
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`${opcodeName(op)} of memo entry ${i}, which was never stored`);
        stack.push(memo.get(i)!);
        break;
      }
      case 0x71:
      case 0x72: {
        const i = op === 0x71 ? u8() : u32();
        memo.set(i, top());
        break;
      }
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
        stack.push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple))
          fail(`REDUCE with arguments of type ${pyTypeName(args)}, not a tuple`);
        stack.push(hooks.reduce(fn, args as PyTuple));
        break;
      }
      case 0x62: {
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x51:
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(
          `${opcodeName(op)} is refused: only the opcodes of tensors and plain containers load (PyTorch's weights_only=True)`,
        );
    }
  }
}

/**
 * Builds a protocol-2 pickle, the opcodes PyTorch's own `torch.save` writes (and its
 * `weights_only=True` reader accepts, BINFLOAT aside: see `ptSave.ts`).
 */
export class Pickler {
  #buf = new Uint8Array(1024);
  #len = 0;
  #memo = 0;
  #enc = new TextEncoder();

  constructor() {
    this.op(0x80, 2);
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Opcode bytes as they are. */
  op(...bytes: number[]): void {
    this.#room(bytes.length);
    for (const b of bytes) this.#buf[this.#len++] = b;
  }

  #u32(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  none(): void {
    this.op(0x4e);
  }
  bool(v: boolean): void {
    this.op(v ? 0x88 : 0x89);
  }
  mark(): void {
    this.op(0x28);
  }

  /** An int: BININT1, BININT2, BININT or LONG1, as Python's pickler picks. */
  int(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= 0xff) {
      this.op(0x4b, v);
      return;
    }
    if (typeof v === 'number' && v >= 0 && v <= 0xffff) {
      this.op(0x4d, v & 0xff, v >> 8);
      return;
    }
    if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) {
      this.op(0x4a);
      this.#u32(v >>> 0);
      return;
    }
    let b = BigInt(v);
    const out: number[] = [];
    // Two's complement, little-endian, shortest form with the sign in the last byte's top bit.
    for (;;) {
      const byte = Number(b & 0xffn);
      out.push(byte);
      b >>= 8n;
      if ((b === 0n && !(byte & 0x80)) || (b === -1n && byte & 0x80)) break;
    }
    this.op(0x8a, out.length, ...out);
  }

  /** A float: BINFLOAT, big-endian IEEE double. */
  float(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.op(0x47, ...b);
  }

  /** A str: BINUNICODE, UTF-8 (lone surrogates become U+FFFD). */
  str(s: string): void {
    const b = this.#enc.encode(s);
    this.op(0x58);
    this.#u32(b.length);
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** `GLOBAL module name`. */
  global(module: string, name: string): void {
    this.op(0x63);
    for (const part of [module, name]) {
      const b = this.#enc.encode(`${part}\n`);
      this.#room(b.length);
      this.#buf.set(b, this.#len);
      this.#len += b.length;
    }
  }

  /** A tuple of what `items` writes: EMPTY_TUPLE, TUPLE1-3 or MARK ... TUPLE. */
  tuple(n: number, items: () => void): void {
    if (n === 0) {
      this.op(0x29);
      return;
    }
    if (n > 3) this.mark();
    items();
    this.op(n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74);
  }

  /** Stores the top of the stack in the memo (BINPUT/LONG_BINPUT); returns its index. */
  put(): number {
    const i = this.#memo++;
    if (i < 256) this.op(0x71, i);
    else {
      this.op(0x72);
      this.#u32(i);
    }
    return i;
  }

  /** Pushes memo entry `i` again (BINGET/LONG_BINGET). */
  get(i: number): void {
    if (i < 256) this.op(0x68, i);
    else {
      this.op(0x6a);
      this.#u32(i);
    }
  }

  /** STOP, and the bytes. */
  finish(): Uint8Array {
    this.op(0x2e);
    return this.#buf.slice(0, this.#len);
  }
}
