// The package root moved below every stage (training needs it too); the CLI keeps its import path.
export { packageRoot, sampleNotesPath } from '../core/package-root.js';
