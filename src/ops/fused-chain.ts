/**
 * A chain of small layers run as one graph node (the issue's "fused backward for common chains"): the tutorial's
 * Conv2d → LeakyReLU → Conv2d → Sigmoid is four ops of a few numbers each, where recording four nodes, four
 * outputs and four inputs lists, then walking them back one by one, costs more than the arithmetic. Here the
 * forward computes every stage with the ops' own kernels into its own storage, and records a single node; its
 * backward runs the stages' gradients back to back, with pooled buffers between them, adding each parameter's
 * gradient into its `.grad` as the separate nodes would. The numbers are the separate ops' bit for bit (the
 * same kernels, the same order); what is left out is only the bookkeeping. Small chains go further: their forward
 * and backward are generated as straight-line JavaScript when the chain is compiled (src/ops/chain-codegen.ts),
 * with the same arithmetic in the same order; the interpreted kernels here remain for bigger chains, for a
 * backward that cannot add every gradient into `.grad`, and where `new Function` is not allowed.
 *
 * The graph still reads as PyTorch's: the node has the last op's name, and the first look at its `inputs` (or
 * `nextFunctions`) unfolds it into the real ops — the intermediate tensors and their nodes, made from the saved
 * storages — after which it is that last op's node. Chains whose input requires grad, whose parameters repeat
 * or freeze, and convolutions without a tiny-problem plan (src/ops/conv-tiny.ts) are not fused: the caller then
 * runs the ops one by one.
 */
import { ADDED_TO_GRAD, leafGradBuffer } from '../autograd/engine.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { keepInputsNeedingGrad, recordNode } from '../autograd/record.js';
import { type FoldedOps, Node, type SavedBackwardFn } from '../autograd/node.js';
import { type DType, type Storage, allocate } from '../tensor/dtype.js';
import { numelOf, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import {
  leakyReluGrad, leakyReluGradInto, leakyReluInto, leakyReluSlope, sigmoidBackward, sigmoidGradInto, sigmoidInto,
} from './activation.js';
import {
  type Conv2dOptions, type ConvSaved, type Geometry, biasAddsIntoGrad, biasGradient, convBackward, convPlanFor, planOptionsMatch,
  planWeightGradient, weightGradInLanes,
} from './conv.js';
import { type ChainKernels, type StageCode, chainCodegen, generateChainKernels } from './chain-codegen.js';
import { type ConvPlan, planForward, planInputGrad } from './conv-tiny.js';

const CONV = 0;
const LEAKY = 1;
const SIGMOID = 2;
/** A stage's kind, as ChainStage.kind holds it (for a layer comparing itself with a stage it made). */
export { CONV as CHAIN_CONV, LEAKY as CHAIN_LEAKY, SIGMOID as CHAIN_SIGMOID };

/**
 * One layer of a chain, as a layer describes itself (nn's Conv2d, LeakyReLU and Sigmoid do, each keeping one
 * stage it refreshes per call). One class for every kind, so reading a stage is a single shape to V8.
 */
export class ChainStage {
  private constructor(
    /** CONV, LEAKY or SIGMOID */
    readonly kind: number,
    public weight: Tensor | null,
    public bias: Tensor | null,
    public options: Conv2dOptions | null,
    public negativeSlope: number,
  ) {}

  static conv2d(weight: Tensor, bias: Tensor | null, options: Conv2dOptions): ChainStage {
    return new ChainStage(CONV, weight, bias, options, 0);
  }

  static leakyRelu(negativeSlope: number): ChainStage {
    return new ChainStage(LEAKY, null, null, null, negativeSlope);
  }

  static sigmoid(): ChainStage {
    return new ChainStage(SIGMOID, null, null, null, 0);
  }

  /** A copy that nobody else writes (a program's record of the stages it was last checked against). */
  copy(): ChainStage {
    return new ChainStage(this.kind, this.weight, this.bias, this.options, this.negativeSlope);
  }
}

/** Everything about a chain that stays the same from call to call: checked on each call, made again on a change. */
interface Program {
  readonly dtype: DType;
  readonly inputShape: readonly number[];
  /**
   * The last input's shape array found equal to inputShape: a shape array is never written after its tensor is made,
   * and the rows of an iterated tensor (and what `.to()` makes of them) share one, so most calls compare identities.
   */
  shapeSeen: readonly number[];
  readonly kinds: readonly number[];
  /** Per stage: its conv plan (conv stages), else null. */
  readonly plans: ReadonlyArray<ConvPlan<Geometry> | null>;
  /**
   * The conv stages of `snapshot` whose stride or padding pair is not frozen (a pair given by hand): their values
   * are compared on every call. A layer's own pairs are frozen, so they change only by being replaced, which the
   * caller notices by identity (see fusedChainAgain); then nothing is compared here.
   */
  unfrozenOptions: readonly number[];
  readonly weights: ReadonlyArray<Tensor | null>;
  readonly biases: ReadonlyArray<Tensor | null>;
  /** Per stage: the weight's and bias's storages when compiled (a parameter moved by Module.to() gets new ones). */
  readonly storages: ReadonlyArray<readonly [Storage | null, Storage | null]>;
  /** Per stage: leaky_relu's slope in the dtype (0 elsewhere), and the slope it was given, to notice a change. */
  readonly slopes: readonly number[];
  readonly givenSlopes: readonly number[];
  /** Per stage: the output's shape and element count; and the last stage's, the chain's output. */
  readonly shapes: ReadonlyArray<readonly number[]>;
  readonly sizes: readonly number[];
  readonly outputShape: readonly number[];
  readonly outputSize: number;
  /**
   * Per stage but the last: where its output starts in the one storage all of them share (a call allocates that
   * and the last output's storage, instead of one per stage).
   */
  readonly offsets: readonly number[];
  readonly packedSize: number;
  /**
   * Per stage but the last: where backward keeps the gradient of that stage's output while the stage before reads
   * it. One set per chain serves all its nodes: a node's backward is done with them before another's starts.
   */
  readonly gradScratch: readonly Storage[];
  /** Per parameter: the `.grad` last found fit to add into, and its storage (checked again by identity). */
  readonly gradSeen: Array<Tensor | null>;
  readonly gradInto: Array<Storage | null>;
  /** The parameters in stage order, weight then bias: the node's edges. */
  readonly params: readonly Tensor[];
  /** Their storages when compiled, in the same order (what the generated kernels read). */
  readonly paramStorages: readonly Storage[];
  /** The chain's generated forward and backward (src/ops/chain-codegen.ts), or null: the interpreted kernels run. */
  readonly kernels: ChainKernels | null;
  /** PyTorch's name of the last stage's node, which the fused node carries. */
  readonly name: string;
  /**
   * Copies of the stages as the program was last found valid for them (replaced, never written, when they differ):
   * what `fusedChainAgain`'s caller compares its layers with.
   */
  snapshot: readonly ChainStage[];
}

/**
 * Every stage's output but the last's, at `program.offsets`: a storage from the interpreted forward, an array of
 * the same numbers from the generated one (see ChainForward).
 */
type Packed = Storage | number[];

/** `n` values of `packed` from `from` on, as a storage of the dtype. */
function packedStorage(dtype: DType, packed: Packed, from: number, n: number): Storage {
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = packed[from + i];
  return out;
}

/** One program per chain description (a Sequential keeps its array of stages). */
const programs = new WeakMap<readonly ChainStage[], Program>();
let lastStages: readonly ChainStage[] | null = null;
let lastProgram: Program | null = null;

/**
 * `stages` run on `x` as one node, or null when this chain cannot be fused (then run the ops one by one). The
 * result is the last stage's output, with the last op's grad_fn name.
 */
export function fusedChain(x: Tensor, stages: readonly ChainStage[]): Tensor | null {
  if (!isGradEnabled() || x.requiresGrad || stages.length < 2) return null;
  // one model trains at a time: the chain met last is looked up without the WeakMap's hashing (and is kept
  // alive until another chain runs)
  let program = stages === lastStages ? lastProgram : programOf(stages);
  if (program === null || !stillValid(program, x, stages)) {
    program = compile(x, stages);
    if (program === null) return null;
    programs.set(stages, program);
  } else if (!sameStages(program.snapshot, stages)) {
    takeSnapshot(program, stages);
  }
  lastStages = stages;
  lastProgram = program;
  return runProgram(program, x);
}

/** Records `stages` as the program's snapshot, and with it the conv stages whose pairs could change in place. */
function takeSnapshot(program: Program, stages: readonly ChainStage[]): void {
  const snapshot = stages.map((s) => s.copy());
  program.snapshot = snapshot;
  program.unfrozenOptions = snapshot.flatMap((s, k) => {
    const o = s.options;
    return s.kind === CONV && !(o !== null && Object.isFrozen(o) && Object.isFrozen(o.stride) && Object.isFrozen(o.padding))
      ? [k] : [];
  });
}

/** The program kept for `stages`, or null (the WeakMap's lookup, out of the per-call path). */
function programOf(stages: readonly ChainStage[]): Program | null {
  return programs.get(stages) ?? null;
}

/**
 * The stages a chain's program was last found valid for (see Program.snapshot), after a `fusedChain(x, stages)`
 * that fused; null when it did not.
 */
export function fusedChainSnapshot(stages: readonly ChainStage[]): readonly ChainStage[] | null {
  const program = stages === lastStages ? lastProgram : programOf(stages);
  return program === null ? null : program.snapshot;
}

/**
 * `fusedChain(x, stages)` for a caller that has checked that its layers still are `snapshot`, the stages as
 * `fusedChainSnapshot(stages)` gave them (the same values, compared field by field): what the program was made
 * for then is still so, and only what can change behind the stages' backs is checked here (the input, the
 * parameters' storages and requiresGrad, the values of conv options that are not frozen). Null, having done
 * nothing, where that is not enough: then call fusedChain.
 */
export function fusedChainAgain(x: Tensor, stages: readonly ChainStage[], snapshot: readonly ChainStage[]): Tensor | null {
  const program = stages === lastStages ? lastProgram : programOf(stages);
  if (program === null || program.snapshot !== snapshot || !isGradEnabled() || x.requiresGrad || !inputsValid(program, x)) {
    return null;
  }
  lastStages = stages;
  lastProgram = program;
  return runProgram(program, x);
}

/**
 * The part of stillValid that does not depend on the stages' values (see fusedChainAgain): the input's dtype and
 * shape, every parameter's storage and requiresGrad, the values of conv options that are not frozen. In flat loops
 * over the program's own arrays: it runs on every training step.
 */
function inputsValid(p: Program, x: Tensor): boolean {
  if (x.dtype !== p.dtype || (x.shape !== p.shapeSeen && !sameInputShape(p, x.shape)) || !paramsInPlace(p)) return false;
  const convs = p.unfrozenOptions;
  for (let j = 0; j < convs.length; j++) {
    const k = convs[j];
    if (!planOptionsMatch(p.plans[k] as ConvPlan<Geometry>, p.snapshot[k].options as Conv2dOptions)) return false;
  }
  return true;
}

/** Whether every parameter still has the storage the program was compiled with, and still requires grad. */
function paramsInPlace(p: Program): boolean {
  const params = p.params;
  const storages = p.paramStorages;
  for (let i = 0; i < params.length; i++) {
    const t = params[i];
    if (t.data !== storages[i] || !t.requiresGrad) return false;
  }
  return true;
}

/** Whether `shape` is the program's input shape (then remembered as the last one seen); out of inputsValid's way. */
function sameInputShape(p: Program, shape: readonly number[]): boolean {
  if (!sameShape(shape, p.inputShape)) return false;
  p.shapeSeen = shape;
  return true;
}

/** Whether `snapshot` holds the values of `stages`, field by field. */
function sameStages(snapshot: readonly ChainStage[], stages: readonly ChainStage[]): boolean {
  if (snapshot.length !== stages.length) return false;
  for (let k = 0; k < stages.length; k++) {
    const a = snapshot[k];
    const b = stages[k];
    if (a.kind !== b.kind || a.weight !== b.weight || a.bias !== b.bias || a.options !== b.options ||
        !Object.is(a.negativeSlope, b.negativeSlope)) return false;
  }
  return true;
}

/**
 * The chain's forward on `x` and its node. Apart from fusedChain so that each stays small enough for V8 to inline
 * what it calls (the output tensor's and the node's constructors among them) within its budget.
 */
function runProgram(program: Program, x: Tensor): Tensor {
  const result = allocate(program.dtype, program.outputSize);
  const kernels = program.kernels;
  let packed: Packed;
  if (kernels !== null && chainCodegen.enabled) {
    packed = kernels.forward(x.values(), 0, program.paramStorages, result);
    chainCodegen.runs.forward++;
  } else {
    packed = interpretedForward(program, x, result);
  }
  const y = new Tensor(result, program.outputShape);
  y.requiresGrad = true;
  const chain = new FoldedChain(program, x, packed, y);
  const node = new Node(program.name, program.params, fusedBackward as SavedBackwardFn<unknown>, chain);
  node.borrowsGrad = true;
  node.folded = chain;
  y.gradFn = node;
  return y;
}

/** forwardStages into a storage of its own for what the backward reads again (`packed`), which it returns. */
function interpretedForward(program: Program, x: Tensor, result: Storage): Storage {
  const packed = allocate(program.dtype, program.packedSize);
  forwardStages(program, x.values(), packed, result);
  return packed;
}

/** The interpreted forward: each stage's kernel in turn, from the input `x` into `packed` and the last into `result`. */
function forwardStages(program: Program, x: Storage, packed: Storage, result: Storage): void {
  const f32 = program.dtype === 'float32';
  const kinds = program.kinds;
  const last = kinds.length - 1;
  let src = x;
  let so = 0;
  for (let k = 0; k <= last; k++) {
    const out = k === last ? result : packed;
    const oo = k === last ? 0 : program.offsets[k];
    const kind = kinds[k];
    if (kind === CONV) {
      const bias = program.biases[k];
      const w = (program.weights[k] as Tensor).data;
      planForward(program.plans[k] as ConvPlan<Geometry>, src, w, bias === null ? null : bias.data, out, f32, so, oo);
    } else if (kind === LEAKY) {
      leakyReluInto(src, so, out, oo, program.sizes[k], program.slopes[k]);
    } else {
      sigmoidInto(src, so, out, oo, program.sizes[k], f32);
    }
    src = out;
    so = oo;
  }
}

/**
 * True when `program` was made for this call: the same input shape and dtype, the same layers with the same
 * parameter tensors (same storages, still requiring grad) and options, the same slopes.
 */
function stillValid(p: Program, x: Tensor, stages: readonly ChainStage[]): boolean {
  if (x.dtype !== p.dtype || stages.length !== p.kinds.length || !sameShape(x.shape, p.inputShape)) return false;
  for (let k = 0; k < stages.length; k++) {
    const s = stages[k];
    const kind = s.kind;
    if (kind !== p.kinds[k]) return false;
    if (kind === CONV) {
      if (s.weight !== p.weights[k] || s.bias !== p.biases[k]) return false;
      if (!planOptionsMatch(p.plans[k] as ConvPlan<Geometry>, s.options as Conv2dOptions)) return false;
    } else if (kind === LEAKY && s.negativeSlope !== p.givenSlopes[k]) {
      return false;
    }
  }
  return paramsInPlace(p); // (the stages' weights and biases are the program's parameters, checked just above)
}

/** Parameters the fused backward may add into directly: leaves that require grad, dense, of one dtype. */
function paramsLive(weight: Tensor, bias: Tensor | null): boolean {
  return ownsStorage(weight) && (bias === null || ownsStorage(bias));
}

/**
 * A leaf that requires grad and whose storage is exactly its elements in order: while its `data` stays that same
 * storage (stillValid checks), the chain reads `data` directly.
 */
function ownsStorage(t: Tensor): boolean {
  return t.requiresGrad && t.gradFn === null && t.isDense && t.offset === 0 && t.data.length === t.numel();
}

function compile(x: Tensor, stages: readonly ChainStage[]): Program | null {
  if (x.shape.length !== 4) return null; // (3-D input records SqueezeBackward1: left to the ops)
  // the graph starts at the first conv: an activation before it would record no node (its input needs no grad)
  if (stages[0].kind !== CONV) return null;
  const dtype = x.dtype;
  const kinds: number[] = [];
  const plans: Array<ConvPlan<Geometry> | null> = [];
  const weights: Array<Tensor | null> = [];
  const biases: Array<Tensor | null> = [];
  const storages: Array<readonly [Storage | null, Storage | null]> = [];
  const slopes: number[] = [];
  const givenSlopes: number[] = [];
  const shapes: Array<readonly number[]> = [];
  const sizes: number[] = [];
  const params: Tensor[] = [];
  let shape: readonly number[] = x.shape;
  for (const s of stages) {
    let plan: ConvPlan<Geometry> | null = null;
    let slope = 0;
    let given = 0;
    const weight = s.weight;
    if (s.kind === CONV) {
      if (weight === null || s.options === null) return null;
      if (weight.dtype !== dtype || (s.bias !== null && s.bias.dtype !== dtype) || !paramsLive(weight, s.bias)) return null;
      plan = convPlanFor(shape, dtype, weight, s.bias, s.options);
      if (plan === null || weightGradInLanes(plan.g)) return null; // (plans are made by the first unfused call)
      // each parameter once (a repeated one would need the engine's order of accumulation between its uses)
      if (params.includes(weight) || (s.bias !== null && (s.bias === weight || params.includes(s.bias)))) return null;
      params.push(weight);
      if (s.bias !== null) params.push(s.bias);
      shape = plan.outShape;
    } else if (s.kind === LEAKY) {
      given = s.negativeSlope;
      slope = leakyReluSlope(dtype, given);
    }
    kinds.push(s.kind);
    plans.push(plan);
    weights.push(s.kind === CONV ? weight : null);
    biases.push(s.kind === CONV ? s.bias : null);
    storages.push(s.kind === CONV && weight !== null ? [weight.data, s.bias === null ? null : s.bias.data] : [null, null]);
    slopes.push(slope);
    givenSlopes.push(given);
    shapes.push(shape);
    sizes.push(numelOf(shape));
  }
  const offsets: number[] = [];
  let packedSize = 0;
  for (let k = 0; k < sizes.length - 1; k++) {
    offsets.push(packedSize);
    packedSize += sizes[k];
  }
  const last = kinds[kinds.length - 1];
  const name = last === CONV ? 'ConvolutionBackward0' : last === LEAKY ? 'LeakyReluBackward0' : 'SigmoidBackward0';
  const gradScratch = sizes.slice(0, -1).map((n) => allocate(dtype, n));
  const stageCodes = kinds.map((kind, k): StageCode => {
    const plan = plans[k];
    if (kind === CONV && plan !== null) {
      return { kind: 'conv', plan, hasBias: biases[k] !== null, biasIntoGrad: biasAddsIntoGrad(plan.g) };
    }
    return kind === LEAKY ? { kind: 'leaky', slope: slopes[k] } : { kind: 'sigmoid' };
  });
  const kernels = generateChainKernels({ dtype, stages: stageCodes, inputSize: numelOf(x.shape), sizes, offsets });
  const program: Program = {
    dtype, inputShape: x.shape.slice(), shapeSeen: x.shape, kinds, plans, weights, biases, storages, slopes, givenSlopes,
    shapes, sizes, outputShape: shapes[shapes.length - 1], outputSize: sizes[sizes.length - 1], offsets, packedSize,
    gradScratch, gradSeen: params.map(() => null), gradInto: params.map(() => null), params, name,
    paramStorages: params.map((p) => p.data), kernels, snapshot: [], unfrozenOptions: [],
  };
  takeSnapshot(program, stages);
  return program;
}


/** What the fused backward answers when every parameter's gradient went straight into its `.grad`: nothing to pass on. */
const NOTHING_LEFT: ReadonlyArray<Tensor | null> = Object.freeze([]);

/**
 * The `.grad` storage of parameter `i` to add into (leafGradBuffer's answer), remembered with the tensor it came
 * from: while `.grad` is that same tensor on the same storage, the answer stands.
 */
function gradInto(program: Program, i: number, param: Tensor): Storage | null {
  const g = param.grad;
  if (g !== null && g === program.gradSeen[i] && g.data === program.gradInto[i]) return program.gradInto[i];
  const into = leafGradBuffer(param);
  program.gradSeen[i] = into === null ? null : g;
  program.gradInto[i] = into;
  return into;
}

/**
 * What the node of a fused chain runs and keeps: its backward runs every stage's gradient in reverse, with the
 * chain's parameters as the node's edges; `unfold` spells the chain out into the separate ops' nodes when someone
 * looks at the node's `inputs` (see the file comment). The node itself is a plain Node (see `Node.folded`).
 */
class FoldedChain implements FoldedOps {
  constructor(
    private readonly program: Program,
    private readonly input: Tensor,
    /** Every stage's output but the last's, at `program.offsets`. */
    private readonly packed: Packed,
    private readonly output: Tensor,
  ) {}

  /** The chain's backward: the stages' gradients in reverse order, each as its op's backward computes it. */
  backwardStages(grad: Tensor): ReadonlyArray<Tensor | null> {
    const program = this.program;
    const generated = program.kernels?.backward ?? null;
    if (generated !== null && chainCodegen.enabled && this.gradsAllInto()) {
      // (gradsAllInto found every entry of gradInto, the `.grad` storages to add into, non-null)
      generated(grad.values(), this.input.values(), 0, this.packed, this.output.data, program.paramStorages, program.gradInto as Storage[]);
      chainCodegen.runs.backward++;
      return NOTHING_LEFT;
    }
    const dtype = program.dtype;
    // the interpreted kernels read typed arrays
    const packed = Array.isArray(this.packed) ? packedStorage(dtype, this.packed, 0, program.packedSize) : this.packed;
    const f32 = dtype === 'float32';
    const kinds = program.kinds;
    const last = kinds.length - 1;
    let results: Array<Tensor | null> | null = null;
    let edge = program.params.length;
    let g = grad.values(); // the gradient of stage k's output
    for (let k = last; k >= 0; k--) {
      const kind = kinds[k];
      // this stage's input (the chain's input, or the stage before's output) and where its gradient goes
      const input = k === 0 ? this.input.values() : packed;
      const io = k === 0 ? 0 : program.offsets[k - 1];
      const gIn = k === 0 ? null : program.gradScratch[k - 1];
      const n = program.sizes[k];
      if (kind === CONV) {
        const plan = program.plans[k] as ConvPlan<Geometry>;
        const weight = program.weights[k] as Tensor;
        const bias = program.biases[k];
        edge -= bias === null ? 1 : 2;
        // the storage the forward read (a later Module.to() gives the parameter another one)
        if (gIn !== null) planInputGrad(plan, g, program.storages[k][0] as Storage, gIn, f32);
        // as convBackward with the plan: into .grad when it is there to add into, else a new gradient
        const gw = weight.requiresGrad ? planWeightGradient(plan, g, input, io, weight, gradInto(program, edge, weight)) : null;
        if (gw !== ADDED_TO_GRAD) (results ??= this.noResults())[edge] = gw;
        if (bias !== null) {
          const into = bias.requiresGrad && biasAddsIntoGrad(plan.g) ? gradInto(program, edge + 1, bias) : null;
          const gb = bias.requiresGrad ? biasGradient(plan.g, g, bias, true, into) : null;
          if (gb !== ADDED_TO_GRAD) (results ??= this.noResults())[edge + 1] = gb;
        }
      } else if (gIn !== null) {
        if (kind === LEAKY) leakyReluGradInto(g, 0, input, io, gIn, n, program.slopes[k]);
        else sigmoidGradInto(g, 0, k === last ? this.output.data : packed, k === last ? 0 : program.offsets[k], gIn, n, f32);
      }
      if (gIn !== null) g = gIn;
    }
    return results ?? NOTHING_LEFT;
  }

  /**
   * Whether every parameter's gradient can be added into its `.grad` (then the interpreted backward would add them
   * all there too, and return nothing): their storages are then in `program.gradInto`.
   */
  private gradsAllInto(): boolean {
    const program = this.program;
    const params = program.params;
    for (let i = 0; i < params.length; i++) if (gradInto(program, i, params[i]) === null) return false;
    return true;
  }

  /** An answer for every edge, each 'already added' until a stage says otherwise. */
  private noResults(): Array<Tensor | null> {
    return new Array<Tensor | null>(this.program.params.length).fill(ADDED_TO_GRAD);
  }

  unfold(node: Node): void {
    const { program, packed } = this;
    const released = node.released;
    const kinds = program.kinds;
    let current = this.input;
    for (let k = 0; k < kinds.length; k++) {
      const last = k === kinds.length - 1;
      const out = last ? this.output : new Tensor(packedStorage(program.dtype, packed, program.offsets[k], program.sizes[k]), program.shapes[k]);
      let name: string;
      let inputs: Array<Tensor | null>;
      let fn: (g: Tensor, saved: never) => ReadonlyArray<Tensor | null> | Tensor;
      let saved: unknown;
      if (kinds[k] === CONV) {
        const weight = program.weights[k] as Tensor;
        const bias = program.biases[k];
        const plan = program.plans[k] as ConvPlan<Geometry>;
        const s: ConvSaved = { g: plan.g, x: current.values(), w: weight.values(), input: current, weight, bias, plan };
        name = 'ConvolutionBackward0';
        inputs = [current, weight, bias];
        fn = convBackward;
        saved = s;
      } else if (kinds[k] === LEAKY) {
        name = 'LeakyReluBackward0';
        inputs = [current];
        fn = leakyReluGrad;
        saved = { x: current, slope: program.slopes[k] };
      } else {
        name = 'SigmoidBackward0';
        inputs = [current];
        fn = sigmoidBackward;
        saved = out;
      }
      if (last) {
        // the chain's node becomes the last op's own node
        keepInputsNeedingGrad(inputs);
        node.becomeOp(inputs, released ? null : (fn as SavedBackwardFn<unknown>), released ? null : saved);
      } else {
        recordNode(out, name, inputs, fn as (g: Tensor, saved: unknown) => ReadonlyArray<Tensor | null> | Tensor, saved);
        if (released) out.gradFn?.release();
      }
      current = out;
    }
  }
}

function fusedBackward(grad: Tensor, chain: FoldedChain): ReadonlyArray<Tensor | null> {
  return chain.backwardStages(grad);
}
