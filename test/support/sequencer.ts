import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The order test files start in. With the timings of an earlier run (node_modules/.vite), vitest
// starts the longest files first, so that short ones fill the end of the run. A fresh clone —
// every CI run — has none, and vitest falls back to the largest files first: small files that run
// child processes for twenty or forty seconds then start last, and the run ends on one or two of
// them while the other workers wait (175 s with timings, 206 s without, measured here).
// Without timings, the tiers that run processes and servers (faults/, e2e/) start before the
// in-process ones (integration/, unit/), each tier largest first as before.

const SLOW_TIERS = /[\\/]test[\\/](faults|e2e)[\\/]/;

export class TierSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    if (files.every((file) => this.ctx.cache.getTestSpecificationResult(file) !== undefined)) return sorted;
    const tier = (file: TestSpecification) => (SLOW_TIERS.test(file.moduleId) ? 0 : 1);
    // Stable: within a tier, and from one project to the next, vitest's order stays.
    return sorted.map((file, index) => ({ file, index })).sort((a, b) => tier(a.file) - tier(b.file) || a.index - b.index).map(({ file }) => file);
  }
}
