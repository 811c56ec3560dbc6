// Builds the CLI (and the bench) into dist/ with esbuild: fast, and independent of type errors, which
// `npm run typecheck` reports on its own. Dependencies stay external (they are in node_modules).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  // The sweep's worker threads load their own bundle (src/lab/sweep-worker.ts says why).
  build({ ...common, entryPoints: { 'cli/main': 'src/cli/main.ts', 'cli/sweep-worker': 'src/lab/sweep-worker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { 'bench/run': 'bench/run.ts' }, outdir: 'dist' }).catch(() => {
    // the bench is optional for the CLI; report and continue
    console.warn('bench not built');
  }),
]);
