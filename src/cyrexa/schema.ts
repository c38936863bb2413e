import { z } from 'zod';
import type { ApiDocument } from '../domain/documents.js';
import type { MetadataEntry } from '../domain/expiry.js';
import { displayId } from '../domain/customer-id.js';
import { storableText } from '../domain/text.js';
import type { Secrets } from '../secrets.js';
import { CyrexaResponseError, TenantMismatchError } from './errors.js';

// The getDocuments response as documented, read defensively: which fields are always present is
// unknown, so only `documents` and each document's `status` are required; unknown enum values pass.
// Every text of a document is made storable here, where it enters (NUL and lone surrogates are
// valid JSON that Postgres refuses), in the mapping below rather than as zod transforms: those
// doubled the cost of parsing a response (a field added later must go through storableText too).

const text = z.string().max(100_000);
const optionalText = text.nullish();

const DocumentSchema = z.looseObject({
  purpose: optionalText,
  documentType: optionalText,
  name: optionalText,
  location: optionalText,
  verificationResponse: optionalText,
  status: z.string().min(1).max(200),
  // Read leniently (SPEC §11: a metadata entry that cannot be read gives no expiry date, never an error).
  metadata: z.unknown().optional(),
});

/** Metadata entries kept per document: enough for any real one; the rest of a hostile list is ignored. */
const MAX_METADATA_ENTRIES = 50;

/** The entries whose name, type and value are text (bounded, storable); anything else is left out. */
function metadataOf(value: unknown): MetadataEntry[] {
  if (!Array.isArray(value)) return [];
  const entries: MetadataEntry[] = [];
  for (const item of value.slice(0, MAX_METADATA_ENTRIES)) {
    const { name, type, value: text } = (item ?? {}) as { name?: unknown; type?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof text !== 'string' || name.length > 200 || text.length > 200) continue;
    entries.push({ name: storableText(name), type: typeof type === 'string' ? storableText(type.slice(0, 50)) : '', value: storableText(text) });
  }
  return entries;
}

const GetDocumentsSchema = z.looseObject({
  tenantId: z.unknown().optional(),
  documents: z.array(DocumentSchema).max(10_000),
});

/**
 * The documents of a getDocuments body. A body that names another tenant than ours is a
 * mix-up (TenantMismatchError); one that names none is accepted.
 */
export function parseGetDocuments(body: unknown, customerId: string, tenantId: string, secrets?: Secrets): ApiDocument[] {
  const parsed = GetDocumentsSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new CyrexaResponseError(`invalid getDocuments response for customer ${JSON.stringify(customerId)}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const received = parsed.data.tenantId;
  if (typeof received === 'string' && received !== tenantId) {
    const other = secrets ? secrets.scrub(received) : received;
    throw new TenantMismatchError(
      `getDocuments for ${displayId(customerId)} answered for tenant ${displayId(other)}, not for the configured tenant ${displayId(tenantId)} (CYREXA_TENANT_ID)`,
      tenantId,
      other,
    );
  }
  return parsed.data.documents.map((d) => ({
    purpose: storableText(d.purpose ?? ''),
    documentType: storableText(d.documentType ?? ''),
    name: storableText(d.name ?? ''),
    location: d.location == null ? null : storableText(d.location),
    status: storableText(d.status),
    verificationResponse: d.verificationResponse == null ? null : storableText(d.verificationResponse),
    metadata: metadataOf(d.metadata),
  }));
}
