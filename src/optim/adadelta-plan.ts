/**
 * How one Adadelta parameter group is stepped, worked out when something changed and reused as long as nothing
 * did: which parameters have no gradient, which go to the WebAssembly kernel (src/optim/adadelta-simd.ts) and
 * which to the JavaScript loop, and for the kernel's, every storage, offset and length, one object per parameter
 * (`Entry`) whose storages are all float32.
 *
 * Why: a step of the tutorial's four small parameters costs about as much in bookkeeping (Map and WeakMap
 * lookups, dtype and overlap checks, several passes over the slots, accesses that may meet a Float32Array or a
 * Float64Array) as in arithmetic. A plan checks with one pass of identity comparisons that every tensor and
 * storage it was made from is still in place, copying the kernel's inputs as it goes, and is otherwise dropped:
 * `Adadelta.updateGroup` then checks the gradients as on a first step (throwing where they are bad) and plans
 * anew. A plan is reused only whole, so whatever it holds was checked together, as one step sees it.
 *
 * What can change between steps, and where a plan notices it: the group, its params array, a parameter in it, or
 * the state map (the optimiser gives the group a new slots array, which a plan is made for); `p.grad` replaced
 * or set to null, `.data` of a parameter or gradient replaced (Module.to() re-homes storages), a state tensor
 * (`squareAvg`, `accDelta`) or its storage replaced (compared here); `adadeltaSimd` switched or resized
 * (compared here); the options (read at every step, never planned).
 */
import type { Storage } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AdadeltaState } from './adadelta.js';
import { type Kernel, adadeltaSimd, adadeltaSimdCounts, reserve, simdKernel } from './adadelta-simd.js';
import { type UnrolledRun, adadeltaUnrolled, unrolledRun } from './adadelta-unrolled.js';
import type { Slot } from './optimizer.js';

export class AdadeltaPlan {
  /** The slots the plan was made for: the optimiser's array for the group, replaced whenever it is rebuilt. */
  readonly slots: readonly Slot[];
  /** Parameters that had no gradient (skipped; a gradient appearing means planning anew). */
  private readonly idle: Tensor[] = [];
  /** Live slots the JavaScript loop steps: float64 ones, and all float32 ones when the kernel cannot take them. */
  private readonly js: Slot[] = [];
  private readonly batch: SimdBatch | null;
  private readonly simdEnabled = adadeltaSimd.enabled;
  private readonly simdMaxBytes = adadeltaSimd.maxBytes;

  /** `live` are the slots with a gradient, checked by `bound` and given state. */
  constructor(slots: readonly Slot[], live: readonly Slot[]) {
    this.slots = slots;
    const stepped = new Set(live);
    for (const slot of slots) if (!stepped.has(slot)) this.idle.push(slot.param);
    const f32 = live.filter((slot) => slot.f32);
    this.batch = this.simdEnabled ? SimdBatch.of(f32) : null;
    for (const slot of live) if (this.batch === null || !slot.f32) this.js.push(slot);
  }

  /**
   * One step of the group, or null, having written nothing, if a tensor or storage the plan was made from was
   * replaced: checks the plan, runs the kernel (`k` holds the float32 scalars from index `at`, as the kernel
   * takes them), and returns the slots left to the JavaScript loop: those planned for it, and any the kernel
   * flagged.
   */
  run(k: Float64Array, at: number, mode: number): readonly Slot[] | null {
    if (adadeltaSimd.enabled !== this.simdEnabled || adadeltaSimd.maxBytes !== this.simdMaxBytes) return null;
    const idle = this.idle;
    for (let j = 0; j < idle.length; j++) if (idle[j].grad !== null) return null;
    const js = this.js;
    for (let j = 0; j < js.length; j++) if (!js[j].isCurrent()) return null;
    const batch = this.batch;
    if (batch === null) return js;
    if (!batch.run(k, at, mode)) return null;
    return batch.redo === null ? js : batch.redo.concat(js);
  }
}

/**
 * From this many elements on, a parameter's values are copied with `TypedArray.prototype.set` (a memmove, but
 * a call and for an offset view an allocation each), below it element by element.
 */
const BULK = 32;

/**
 * One float32 parameter for the kernel: its slot and state record (whose identities show that nothing changed),
 * the storages and offsets the copies use (a replaced square_avg or acc_delta tensor shows as a replaced storage:
 * the update reads nothing else of it), and where its elements are in the kernel's planes. One object per
 * parameter, its fields each of one type, rather than an array per field: V8 then knows each storage's kind from
 * the field and checks no array bounds to reach it.
 */
export class Entry {
  readonly slot: Slot;
  readonly state: AdadeltaState;
  readonly w: Float32Array;
  readonly g: Float32Array;
  readonly sq: Float32Array;
  readonly acc: Float32Array;
  readonly wo: number;
  readonly go: number;
  readonly n: number;
  readonly at: number;

  /** `slot` is bound, has state, and its storages are float32 (disjoint() said so); `at`: its first element. */
  constructor(slot: Slot, at: number) {
    const state = slot.state as unknown as AdadeltaState;
    this.slot = slot;
    this.state = state;
    this.w = slot.w as Float32Array;
    this.g = slot.g as Float32Array;
    this.sq = state.squareAvg.data as Float32Array;
    this.acc = state.accDelta.data as Float32Array;
    this.wo = slot.wo;
    this.go = slot.go;
    this.n = slot.n;
    this.at = at;
  }

  /**
   * Whether every tensor and storage is still the one the entry was made from: the slot's (it is bound again only
   * when the group is planned anew) and both state buffers.
   */
  current(): boolean {
    const state = this.state;
    return this.slot.isCurrent() && state.squareAvg.data === this.sq && state.accDelta.data === this.acc;
  }

  /** Copies the parameter, gradient and state into the kernel's planes (`plane` floats apart). */
  copyIn(m: Float32Array, plane: number): void {
    const { w, g, sq, acc, wo, go, n, at } = this;
    if (n >= BULK) {
      m.set(span(w, wo, n), at);
      m.set(span(g, go, n), plane + at);
      m.set(span(sq, 0, n), 2 * plane + at);
      m.set(span(acc, 0, n), 3 * plane + at);
      return;
    }
    const atG = plane + at;
    const atSq = atG + plane;
    const atAcc = atSq + plane;
    for (let i = 0; i < n; i++) {
      m[at + i] = w[wo + i];
      m[atG + i] = g[go + i];
      m[atSq + i] = sq[i];
      m[atAcc + i] = acc[i];
    }
  }

  /** Copies the kernel's results back: the parameter and both state buffers; counts the step. */
  copyOut(m: Float32Array, plane: number): void {
    const { w, sq, acc, wo, n, at } = this;
    this.state.step += 1;
    const atSq = 2 * plane + at;
    const atAcc = atSq + plane;
    if (n >= BULK) {
      w.set(m.subarray(at, at + n), wo);
      sq.set(m.subarray(atSq, atSq + n));
      acc.set(m.subarray(atAcc, atAcc + n));
      return;
    }
    for (let i = 0; i < n; i++) {
      w[wo + i] = m[at + i];
      sq[i] = m[atSq + i];
      acc[i] = m[atAcc + i];
    }
  }
}

/** A group's float32 parameters for the kernel, and the planes they take in its memory. */
class SimdBatch {
  /** After a run, the slots with a flagged lane (left untouched, for the JavaScript loop to redo), or null. */
  redo: Slot[] | null = null;
  private readonly entries: Entry[] = [];
  /** Elements in all, and floats per plane (whole blocks of four). */
  private readonly elements: number;
  private readonly plane: number;
  private readonly kernel: Kernel;
  /** The run written out as straight-line code (src/optim/adadelta-unrolled.ts), for a group small enough. */
  private unrolled: UnrolledRun | null = null;

  private constructor(kernel: Kernel, elements: number) {
    this.kernel = kernel;
    this.elements = elements;
    this.plane = (elements + 3) & ~3;
  }

  /**
   * The batch for the live float32 slots, or null where the JavaScript loop must step them all: no kernel, no
   * elements, more than adadeltaSimd.maxBytes (a module's memory never shrinks), or overlapping storages.
   */
  static of(slots: readonly Slot[]): SimdBatch | null {
    let total = 0;
    for (const slot of slots) total += slot.n;
    if (total === 0) return null;
    const kernel = simdKernel();
    if (kernel === null) return null;
    const batch = new SimdBatch(kernel, total);
    if (16 * batch.plane > adadeltaSimd.maxBytes || !reserve(kernel, 4 * batch.plane)) return null;
    const regions: Region[] = [];
    for (const slot of slots) {
      const state = slot.state as unknown as AdadeltaState;
      const sq = state.squareAvg.data;
      const acc = state.accDelta.data;
      regions.push([slot.w, slot.wo, slot.n], [slot.g, slot.go, slot.n], [sq, 0, slot.n], [acc, 0, slot.n]);
    }
    if (!disjoint(regions)) return null;
    let at = 0;
    for (const slot of slots) {
      batch.entries.push(new Entry(slot, at));
      at += slot.n;
    }
    batch.unrolled = unrolledRun(batch.entries, batch.plane);
    return batch;
  }

  /**
   * Checks every entry while copying it into the kernel's memory (false, with nothing user-visible written, if
   * one is stale), runs the kernel and copies the results back, but for parameters with a flagged lane (`redo`).
   */
  run(k: Float64Array, at: number, mode: number): boolean {
    const entries = this.entries;
    const kernel = this.kernel;
    const plane = this.plane;
    const m = kernel.floats;
    const unrolled = this.unrolled;
    let flagged: boolean;
    if (unrolled !== null) {
      // the same checks, copies and call, written out; it copies back only when nothing was flagged
      const outcome = unrolled(entries, m, kernel.step, k, at, mode);
      if (outcome < 0) return false;
      adadeltaUnrolled.runs++;
      flagged = outcome > 0;
    } else {
      for (let j = 0; j < entries.length; j++) {
        const entry = entries[j];
        if (!entry.current()) return false;
        entry.copyIn(m, plane);
      }
      flagged = kernel.step(this.elements, 4 * plane, k[at], k[at + 1], k[at + 2], k[at + 3], k[at + 4], mode) !== 0;
      if (!flagged) for (let j = 0; j < entries.length; j++) entries[j].copyOut(m, plane);
    }
    if (flagged) {
      this.storeUnflagged();
      return true;
    }
    this.redo = null;
    adadeltaSimdCounts.stepped += entries.length;
    return true;
  }

  /** After a run with flagged lanes: copies back the parameters without one; the others go to `redo`. */
  private storeUnflagged(): void {
    const flags = this.kernel.flags;
    const m = this.kernel.floats;
    const redo: Slot[] = [];
    for (const entry of this.entries) {
      if (anyFlag(flags, this.plane + entry.at, entry.n)) redo.push(entry.slot);
      else entry.copyOut(m, this.plane);
    }
    this.redo = redo;
    adadeltaSimdCounts.stepped += this.entries.length - redo.length;
    adadeltaSimdCounts.redone += redo.length;
  }
}

/** Elements `from` … `from + n − 1` of a storage, as itself where that is all of it (no view to allocate). */
function span(data: Float32Array, from: number, n: number): Float32Array {
  return from === 0 && n === data.length ? data : data.subarray(from, from + n);
}

/** Whether one of the `n` flags from index `from` is set. */
function anyFlag(flags: Int32Array, from: number, n: number): boolean {
  for (let i = from; i < from + n; i++) if (flags[i] !== 0) return true;
  return false;
}

/** `n` elements of a storage from element `from`. */
type Region = [data: Storage, from: number, n: number];

/**
 * Whether every region is float32 and within its storage, and none overlaps another. The JavaScript loop reads
 * and writes element by element, parameter after parameter; the kernel reads everything before writing anything
 * back. They agree unless regions overlap (a parameter used as another one's gradient, one parameter twice in a
 * group, shared storage): then the JavaScript loop runs. A storage the loop would read otherwise than as float32
 * (a state buffer too short, or float64, as only a hand-edited state can be) also keeps the group off the kernel.
 */
function disjoint(regions: readonly Region[]): boolean {
  const byBuffer = new Map<ArrayBufferLike, Array<[number, number]>>();
  for (const [data, from, n] of regions) {
    if (!(data instanceof Float32Array) || from + n > data.length) return false;
    if (n === 0) continue;
    const start = data.byteOffset + 4 * from;
    const spans = byBuffer.get(data.buffer) ?? [];
    spans.push([start, start + 4 * n]);
    byBuffer.set(data.buffer, spans);
  }
  for (const spans of byBuffer.values()) {
    spans.sort((a, b) => a[0] - b[0]);
    let end = -Infinity;
    for (const [start, stop] of spans) {
      if (start < end) return false;
      end = Math.max(end, stop);
    }
  }
  return true;
}
