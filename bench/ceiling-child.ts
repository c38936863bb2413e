// The ceiling: the scan's HTTP client (CyrexaClient over ky) fetching the first N generated
// customers at the given concurrency, with no database and no queue, in a fresh process like
// the scan's (bench/scan-child.ts), so that neither starts warmer than the other.
// Prints one JSON line.
import pLimit from 'p-limit';
import { CyrexaClient } from '../dist/cyrexa/client.js';
import { StaticTokenProvider } from '../dist/cyrexa/token-provider.js';
import { customerIdFor } from '../dist/sandbox/generator.js';

const [baseUrl, tenantId, token, countText, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const client = new CyrexaClient({ baseUrl: baseUrl ?? '', tenantId: tenantId ?? '', tokens: new StaticTokenProvider(token ?? ''), tokenHeader: undefined, timeoutMs: 10_000 });
const limit = pLimit(Number(concurrencyText));
const started = performance.now();
let fetched = 0;
await Promise.all(Array.from({ length: count }, (_, i) => limit(async () => {
  await client.getDocuments(customerIdFor(i));
  fetched++;
})));
const ms = performance.now() - started;
if (fetched !== count) throw new Error(`ceiling fetched ${fetched}/${count}`);
process.stdout.write(`${JSON.stringify({ ms, perSecond: (count / ms) * 1000 })}\n`);
