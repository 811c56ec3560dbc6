/**
 * A state_dict that cannot be written or read: a corrupt, truncated, hostile or wrong-kind file or buffer,
 * or (when saving) a state_dict the format cannot hold. The message is one line naming the problem.
 */
export class StateDictFormatError extends Error {
  override name = 'StateDictFormatError';
}
