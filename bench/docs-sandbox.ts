// The sandbox of the memory part's document-heavy scans: the product's Sandbox, whose first
// `customers` generated customers are given `perCustomer` documents each with `setDocuments`
// (the control API's PUT takes at most 1 MB, less than 5,000 documents). The documents are the
// generator's own (same fields, sizes and mix of statuses), renumbered so that each has its own
// name and location, and stay put for the run. Prints "listening on <url>"; stops on SIGTERM.
import { Sandbox } from '../dist/sandbox/server.js';
import { customerIdFor, generatedDocuments, hash, type SandboxDocument } from '../dist/sandbox/generator.js';

const [customersText, perCustomerText, tenantId] = process.argv.slice(2);
const customers = Number(customersText);
const perCustomer = Number(perCustomerText);
if (!Number.isInteger(customers) || customers < 1 || !Number.isInteger(perCustomer) || perCustomer < 1 || !tenantId) {
  throw new Error(`usage: docs-sandbox.ts <customers ≥ 1> <documents per customer ≥ 1> <tenant id> (got ${process.argv.slice(2).join(' ')})`);
}

/** The sandbox's world now, standing still for the run (its documents are set once, below). */
const world = { seed: 1, origin: Date.now() };

function documentsOf(id: string, count: number): SandboxDocument[] {
  const docs: SandboxDocument[] = [];
  for (let part = 0; docs.length < count; part++) {
    for (const doc of generatedDocuments(world, `${id}/${part}`, world.origin)) {
      if (docs.length === count) break;
      const i = docs.length;
      docs.push({ ...doc, name: `${doc.documentType} ${i + 1}`, location: `https://files.sandbox.cyrexa.test/${id}/${i}.pdf?signature=${hash(1, id, i).toString(16)}` });
    }
  }
  return docs;
}

const sandbox = new Sandbox({ port: 0, customers, tenantId, timeScale: 0, origin: world.origin });
for (let i = 0; i < customers; i++) sandbox.setDocuments(customerIdFor(i), documentsOf(customerIdFor(i), perCustomer));
await sandbox.start();
const bytes = JSON.stringify({ tenantId, documents: sandbox.documentsOf(customerIdFor(0)) }).length;
process.stdout.write(`sandbox with ${customers} customers × ${perCustomer} documents (${Math.round(bytes / 1024)} KB an answer) listening on ${sandbox.url}\n`);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await sandbox.close();
