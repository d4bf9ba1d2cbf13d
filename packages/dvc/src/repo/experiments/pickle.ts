/**
 * The little of Python's pickle that DVC's `.dvc/tmp/repro.dat` needs (BaseExecutor.pack_repro_args:
 * `{"args": (...), "kwargs": {...}}` of strings, numbers, booleans, None, lists, tuples and dicts):
 * written as protocol 2, read in any protocol Python 3 writes for such values.
 */

export type PyValue = null | boolean | number | string | PyValue[] | { [k: string]: PyValue } | PyTuple;

/** A Python tuple (a plain array is a list). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export function pickleDumps(v: PyValue): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2])];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const w = (x: PyValue): void => {
    if (x === null) parts.push(Buffer.from('N'));
    else if (x === true) parts.push(Buffer.from([0x88]));
    else if (x === false) parts.push(Buffer.from([0x89]));
    else if (typeof x === 'number') {
      if (Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31) {
        const b = Buffer.alloc(5);
        b.write('J');
        b.writeInt32LE(x, 1);
        parts.push(b);
      } else {
        const b = Buffer.alloc(9);
        b.write('G');
        b.writeDoubleBE(x, 1);
        parts.push(b);
      }
    } else if (typeof x === 'string') {
      const s = Buffer.from(x, 'utf8');
      parts.push(Buffer.from('X'), u32(s.length), s);
    } else if (x instanceof PyTuple) {
      parts.push(Buffer.from('('));
      x.items.forEach(w);
      parts.push(Buffer.from('t'));
    } else if (Array.isArray(x)) {
      parts.push(Buffer.from(']('));
      x.forEach(w);
      parts.push(Buffer.from('e'));
    } else {
      parts.push(Buffer.from('}('));
      for (const [k, val] of Object.entries(x)) {
        w(k);
        w(val);
      }
      parts.push(Buffer.from('u'));
    }
  };
  w(v);
  parts.push(Buffer.from('.'));
  return Buffer.concat(parts);
}

const MARK = Symbol('mark');

/** Reads a pickle of plain values; throws on anything else (objects, classes). */
export function pickleLoads(buf: Buffer): PyValue {
  const stack: Array<PyValue | typeof MARK> = [];
  const memo = new Map<number, PyValue>();
  let i = 0;
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new Error('pickle: no mark');
    const items = stack.splice(at) as PyValue[];
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1] as PyValue;
  const str = (n: number) => {
    const s = buf.toString('utf8', i, i + n);
    i += n;
    stack.push(s);
  };
  for (;;) {
    if (i >= buf.length) throw new Error('pickle: truncated');
    const op = buf[i++]!;
    switch (op) {
      case 0x80: // PROTO
        i++;
        break;
      case 0x95: // FRAME
        i += 8;
        break;
      case 0x2e: // STOP
        return stack.pop() as PyValue;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(i));
        i += 4;
        break;
      case 0x4b: // BININT1
        stack.push(buf[i++]!);
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(i));
        i += 2;
        break;
      case 0x47: // BINFLOAT
        stack.push(buf.readDoubleBE(i));
        i += 8;
        break;
      case 0x58: // BINUNICODE
        i += 4;
        str(buf.readUInt32LE(i - 4));
        break;
      case 0x8c: // SHORT_BINUNICODE
        i += 1;
        str(buf[i - 1]!);
        break;
      case 0x8d: // BINUNICODE8
        i += 8;
        str(Number(buf.readBigUInt64LE(i - 8)));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({});
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        stack.push(new PyTuple(stack.splice(stack.length - n) as PyValue[]));
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        (top() as PyValue[]).push(...items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = stack.pop() as PyValue;
        (top() as PyValue[]).push(v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top() as Record<string, PyValue>;
        for (let k = 0; k < items.length; k += 2) d[String(items[k])] = items[k + 1]!;
        break;
      }
      case 0x73: {
        // SETITEM
        const v = stack.pop() as PyValue;
        const k = stack.pop() as PyValue;
        (top() as Record<string, PyValue>)[String(k)] = v;
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x71: // BINPUT
        memo.set(buf[i++]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(buf.readUInt32LE(i), top());
        i += 4;
        break;
      case 0x68: // BINGET
        stack.push(memo.get(buf[i++]!)!);
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memo.get(buf.readUInt32LE(i))!);
        i += 4;
        break;
      default:
        throw new Error(`pickle: unsupported opcode 0x${op.toString(16)}`);
    }
  }
}
