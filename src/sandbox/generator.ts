
// Deterministic generated customers for the sandbox: the same seed gives the same customers,
// and each document's status moves on at its own pace as epochs pass.

export interface SandboxDocument {
  purpose: string;
  name: string;
  documentType: string;
  location: string;
  verificationResponse: string;
  status: string;
  metadata: Array<{ name: string; type: string; value: string }>;
}

const PURPOSES = ['KYC', 'KYB', 'PEP&SANCTION'] as const;
const TYPES = [
  'ID front side',
  'ID back side',
  'Passport',
  'accountAuthority',
  'shareholderStructure',
  'operationAddress',
  'registeredAddress',
  'selfie',
  'livelinessDetection',
] as const;
const RESPONSES: Record<string, string> = {
  underverification: 'Awaiting review',
  verified: 'Document verified',
  declined: 'Document unreadable or does not match the customer',
  incomplete: 'Page missing',
  expired: 'Document validity date has passed',
};

/** 32-bit FNV-1a then a murmur finaliser: cheap, stable, well spread. */
export function hash(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${part}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function customerIdFor(index: number): string {
  return `cust-${String(index + 1).padStart(6, '0')}`;
}

export function customerIndex(id: string, customers: number): number | null {
  const match = /^cust-(\d{6,})$/.exec(id);
  if (!match) return null;
  const index = Number(match[1]) - 1;
  return index >= 0 && index < customers ? index : null;
}

/**
 * The documents of generated customer `id` at `epoch`. A document's status changes once every
 * `period` epochs (period 4–40, different per document), so statuses drift over time.
 */
export function generatedDocuments(seed: number, id: string, epoch: number): SandboxDocument[] {
  const count = 3 + (hash(seed, id, 'count') % 3);
  const docs: SandboxDocument[] = [];
  for (let i = 0; i < count; i++) {
    const documentType = TYPES[hash(seed, id, i, 'type') % TYPES.length] ?? 'Passport';
    const purpose = PURPOSES[hash(seed, id, i, 'purpose') % PURPOSES.length] ?? 'KYC';
    const period = 4 + (hash(seed, id, i, 'period') % 37);
    const phase = hash(seed, id, i, 'phase') % period;
    const step = Math.floor((epoch + phase) / period);
    // Mostly verified or under verification; now and then expired or declined.
    const roll = hash(seed, id, i, 'status', step) % 100;
    const status = roll < 45 ? 'verified' : roll < 75 ? 'underverification' : roll < 85 ? 'incomplete' : roll < 93 ? 'expired' : 'declined';
    docs.push({
      purpose,
      name: `${documentType} ${i + 1}`,
      documentType,
      location: `https://files.sandbox.cyrexa.test/${id}/${i}.pdf?signature=${hash(seed, id, i, epoch).toString(16)}`,
      verificationResponse: RESPONSES[status] ?? '',
      status,
      metadata: [{ name: 'pages', type: 'Number', value: String(1 + (hash(seed, id, i, 'pages') % 4)) }],
    });
  }
  return docs;
}


const GIVEN = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Keiko', 'Luca', 'Mara', 'Nils', 'Olga', 'Pavel'];
const FAMILY = ['Abara', 'Berg', 'Costa', 'Dumont', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Novak', 'Okafor', 'Petrov'];
const TRADE = ['Northwind', 'Bluefin', 'Copperleaf', 'Driftwood', 'Evergreen', 'Foxglove', 'Granite', 'Harbour', 'Ironbark', 'Juniper'];
const TRADE_KIND = ['Trading', 'Logistics', 'Holdings', 'Payments', 'Ventures', 'Foods'];
const FORMS = ['Ltd', 'GmbH', 'S.A.', 'B.V.', 'AB'];

export interface SandboxCustomerDetails {
  customer: {
    id: string;
    customerType: 'INDIVIDUAL' | 'ORGANIZATION';
    customerName: string;
    customerStatus: string;
    person: { fullName: string; email: string; password: string; pinCode: string };
  };
}

/**
 * A getDetailsById answer for customer `id`: a believable name (a person or a company), and,
 * as in the real API, the person's password and PIN — which a client must never keep.
 */
export function generatedDetails(seed: number, id: string, name?: string): SandboxCustomerDetails {
  const pick = <T>(list: readonly T[], what: string): T => list[hash(seed, id, what) % list.length] as T;
  const fullName = `${pick(GIVEN, 'given')} ${pick(FAMILY, 'family')}`;
  const organization = hash(seed, id, 'kind') % 3 === 0;
  const customerName = name ?? (organization ? `${pick(TRADE, 'trade')} ${pick(TRADE_KIND, 'trade-kind')} ${pick(FORMS, 'form')}` : fullName);
  return {
    customer: {
      id,
      customerType: organization ? 'ORGANIZATION' : 'INDIVIDUAL',
      customerName,
      customerStatus: 'ACTIVE',
      person: {
        fullName,
        email: `${fullName.toLowerCase().replace(/\s+/g, '.')}@example.test`,
        password: `sandbox-password-${hash(seed, id, 'password').toString(36)}`,
        pinCode: String(1000 + (hash(seed, id, 'pin') % 9000)),
      },
    },
  };
}
