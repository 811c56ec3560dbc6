/**
 * `nn.Module.__repr__` as PyTorch 1.13 prints it: the extra_repr on one line when it is a single
 * line and there are no children, otherwise one item per line, children as '(name): repr' with their
 * continuation lines indented by two spaces (_addindent).
 */
import { pyNumber } from './py-format.js';

export { pyFloat } from './py-format.js';

export interface ModuleReprNode {
  /** The class name, e.g. 'Conv2d'. */
  typeName: string;
  /** What the module's extra_repr() returns, e.g. '1, 1, kernel_size=(2, 2), stride=(1, 1)'; '' for none. */
  extraRepr: string;
  /** Registered child modules in registration order. */
  children: ReadonlyArray<readonly [string, ModuleReprNode]>;
}

/** PyTorch's _addindent: indents every line but the first. */
function addIndent(s: string, numSpaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(numSpaces);
  return [lines[0], ...lines.slice(1).map((line) => pad + line)].join('\n');
}

export function formatModule(node: ModuleReprNode): string {
  const extraLines = node.extraRepr ? node.extraRepr.split('\n') : [];
  const childLines = node.children.map(([key, child]) => `(${key}): ${addIndent(formatModule(child), 2)}`);
  const lines = [...extraLines, ...childLines];
  let main = node.typeName + '(';
  if (lines.length > 0) {
    if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
    else main += '\n  ' + lines.join('\n  ') + '\n';
  }
  return main + ')';
}

/**
 * A Python tuple of numbers, for extra_repr strings: '(2, 2)', '(1,)', '()'. Integral numbers are
 * spelled as Python ints, others as Python floats (so 2.0 prints as '2': JavaScript cannot tell them apart).
 */
export function formatTuple(values: readonly number[]): string {
  if (values.length === 1) return `(${pyNumber(values[0])},)`;
  return `(${values.map(pyNumber).join(', ')})`;
}
