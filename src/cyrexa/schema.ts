import { z } from 'zod';
import type { ApiDocument } from '../domain/documents.js';
import { CyrexaResponseError } from './errors.js';

// The getDocuments response as documented, read defensively: which fields are always present is
// unknown, so only `documents` and each document's `status` are required; unknown enum values pass.

const text = z.string().max(100_000);
const optionalText = text.nullish().transform((v) => v ?? null);

const DocumentSchema = z.looseObject({
  purpose: optionalText,
  documentType: optionalText,
  name: optionalText,
  location: optionalText,
  verificationResponse: optionalText,
  status: z.string().min(1).max(200),
});

const GetDocumentsSchema = z.looseObject({
  tenantId: z.unknown().optional(),
  documents: z.array(DocumentSchema).max(10_000),
});

export function parseGetDocuments(body: unknown, customerId: string): ApiDocument[] {
  const parsed = GetDocumentsSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new CyrexaResponseError(`invalid getDocuments response for customer ${JSON.stringify(customerId)}: ${where}: ${issue?.message ?? 'invalid'}`, {
      retryable: false,
    });
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
