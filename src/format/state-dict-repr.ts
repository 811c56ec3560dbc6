/** `repr(model.state_dict())` as Python 3.11 / PyTorch 1.13 print it. */
import { pyStr } from './py-format.js';
import { formatTensor, type PrintableTensor, type PrintOptions } from './tensor-repr.js';

/**
 * "OrderedDict([('model.0.weight', tensor(...)), ...])", or 'OrderedDict()' when empty. The
 * tensors are printed by {@link formatTensor} (pass them without requiresGrad / gradFnName, as
 * state_dict() holds detached tensors).
 */
export function formatStateDict(
  entries: ReadonlyArray<readonly [string, PrintableTensor]>,
  opts?: PrintOptions,
): string {
  if (entries.length === 0) return 'OrderedDict()';
  const items = entries.map(([key, t]) => `(${pyStr(key)}, ${formatTensor(t, opts)})`);
  return `OrderedDict([${items.join(', ')}])`;
}
