/** A state_dict file or buffer that cannot be read: corrupt, truncated, hostile or of the wrong kind. */
export class StateDictFormatError extends Error {
  override name = 'StateDictFormatError';
}
