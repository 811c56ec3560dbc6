export { DEFAULT_SEED, Generator, defaultGenerator, initialSeed, manualSeed } from './generator.js';
export { MT19937, type MT19937State } from './mt19937.js';
