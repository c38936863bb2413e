import { z } from 'zod';
import type { ApiDocument } from '../domain/documents.js';
import { displayId } from '../domain/customer-id.js';
import { storableText } from '../domain/text.js';
import type { Secrets } from '../secrets.js';
import { CyrexaResponseError, TenantMismatchError } from './errors.js';

// The getDocuments response as documented, read defensively: which fields are always present is
// unknown, so only `documents` and each document's `status` are required; unknown enum values pass.
// Every text of a document is made storable here, where it enters (NUL and lone surrogates are
// valid JSON that Postgres refuses): a document field added later uses `text` and is covered.

const text = z.string().max(100_000).transform(storableText);
const optionalText = text.nullish().transform((v) => v ?? null);

const DocumentSchema = z.looseObject({
  purpose: optionalText,
  documentType: optionalText,
  name: optionalText,
  location: optionalText,
  verificationResponse: optionalText,
  status: z.string().min(1).max(200).transform(storableText),
});

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
    purpose: d.purpose ?? '',
    documentType: d.documentType ?? '',
    name: d.name ?? '',
    location: d.location,
    status: d.status,
    verificationResponse: d.verificationResponse,
  }));
}
