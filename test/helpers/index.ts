// Shared test utilities: fixtures, tolerant comparison, finite-difference gradient checks.
export { type FixtureTensor, type OpCase, fromFixture, loadFixture } from './fixtures.js';
export { type CloseOptions, expectClose, ulpDistance32, worstMismatch } from './close.js';
export { type FiniteDifferenceOptions, type GradientComparison, finiteDifferenceCheck } from './gradcheck.js';
