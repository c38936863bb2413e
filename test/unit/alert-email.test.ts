import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, escapeHtml, neutraliseCell, renderAlertEmail, type AlertView } from '../../src/domain/alert-email.js';
import { caseLink, verifyCaseToken } from '../../src/domain/case-links.js';
import { visibleText } from '../support/html.js';

const alert = (over: Partial<AlertView> = {}): AlertView => ({
  detectedAt: new Date('2026-11-25T08:07:07.123Z'),
  customerId: 'cust-1',
  purpose: 'KYC',
  documentType: 'Passport',
  documentName: 'passport.pdf',
  previousStatus: 'verified',
  newStatus: 'expired',
  verificationResponse: 'validity passed',
  baseline: false,
  ...over,
});

const rowsOf = (content: string) => parse(content, { columns: true }) as Array<Record<string, string>>;

describe('alert email: what happened to each document (issue 11 item 1)', () => {
  const baseline = alert({ previousStatus: null, baseline: true });
  const newDocument = alert({ customerId: 'cust-2', previousStatus: null, baseline: false, newStatus: 'declined', documentName: 'late.pdf' });
  const changed = alert({ customerId: 'cust-3' });
  const email = renderAlertEmail([baseline, newDocument, changed], new Date());

  it.each([
    ['a document already in an alert status at the first check', 'Already expired when first checked'],
    ['a document that appeared later', 'New document, declined'],
    ['a status change', 'Changed from verified to expired'],
  ])('%s reads "%s", the same words in the text and the HTML', (_case, words) => {
    expect(email.text).toContain(words);
    expect(visibleText(email.html)).toContain(words);
  });

  it('writes statuses in words, compared trimmed and case-insensitively', () => {
    const email = renderAlertEmail([alert({ previousStatus: 'underverification', newStatus: ' DECLINED ' })], new Date());
    expect(email.text).toContain('Changed from under verification to declined');
    expect(visibleText(email.html)).toContain('Changed from under verification to declined');
  });

  it('never calls a baseline document new, nor says the documents all changed', () => {
    const only = renderAlertEmail([baseline], new Date());
    for (const part of [only.text, visibleText(only.html)]) {
      expect(part).not.toMatch(/\bnew\b/i);
      expect(part).not.toMatch(/changed to a status/i);
      expect(part).not.toContain('→');
    }
  });
});

describe('alert email: subject, order and words (issue 11 item 2)', () => {
  it.each<[string, AlertView[], string]>([
    ['one expired document', [alert()], 'KYC alert: 1 expired — 1 customer'],
    [
      'counts by status, severity first, distinct customers',
      [alert(), alert({ documentName: 'b', newStatus: 'declined' }), alert({ customerId: 'cust-2' }), alert({ customerId: 'cust-3', newStatus: 'declined' })],
      'KYC alert: 2 declined, 2 expired — 3 customers',
    ],
    ['statuses compared trimmed and case-insensitively', [alert({ newStatus: ' EXPIRED ' }), alert({ customerId: 'c2', newStatus: 'expired' })], 'KYC alert: 2 expired — 2 customers'],
    ['other alerting statuses after declined and expired', [alert({ newStatus: 'incomplete' }), alert({ newStatus: 'declined' })], 'KYC alert: 1 declined, 1 incomplete — 1 customer'],
    ['only KYB', [alert({ purpose: 'KYB' })], 'KYB alert: 1 expired — 1 customer'],
    ['the purposes named, in their usual order', [alert({ purpose: 'PEP&SANCTION' }), alert({ purpose: 'KYB' }), alert({ purpose: 'KYC' })], 'KYC/KYB/PEP&SANCTION alert: 3 expired — 1 customer'],
  ])('%s: %s', (_case, alerts, subject) => {
    expect(renderAlertEmail(alerts, new Date()).subject).toBe(subject);
  });

  it('bounds purposes it does not know, in the subject', () => {
    const subject = renderAlertEmail([alert({ purpose: 'X'.repeat(500) })], new Date()).subject;
    expect(subject.length).toBeLessThan(120);
    expect(subject).toMatch(/^X+… alert: 1 expired — 1 customer$/);
  });

  it('lists declined first, then expired, then other statuses, each by customer — in the text, the HTML and the CSV', () => {
    const email = renderAlertEmail(
      [
        alert({ customerId: 'cust-10', documentName: 'e10' }),
        alert({ customerId: 'cust-9', newStatus: 'incomplete', documentName: 'i9' }),
        alert({ customerId: 'cust-2', documentName: 'e2' }),
        alert({ customerId: 'cust-3', newStatus: 'declined', documentName: 'd3' }),
        alert({ customerId: 'cust-1', newStatus: 'DECLINED', documentName: 'd1' }),
      ],
      new Date(),
    );
    const order = ['d1', 'd3', 'e2', 'e10', 'i9'];
    expect(rowsOf(email.attachment.content).map((r) => r.document_name)).toEqual(order);
    const positions = (text: string, quote: string) => order.map((name) => text.indexOf(`${quote}${name}${quote}`));
    const ascending = (numbers: number[]) => numbers.every((n, i) => n >= 0 && (i === 0 || n > (numbers[i - 1] ?? 0)));
    expect(ascending(positions(email.text, '"')), email.text).toBe(true);
    expect(ascending(positions(visibleText(email.html), ' ')), email.html).toBe(true);
    // A heading per status, with its count.
    expect(email.text).toMatch(/DECLINED \(2\)[\s\S]*EXPIRED \(2\)[\s\S]*INCOMPLETE \(1\)/);
    expect(visibleText(email.html)).toMatch(/Declined \(2\).*Expired \(2\).*Incomplete \(1\)/);
  });

  it.each([
    ['livelinessDetection', 'Liveness detection'],
    ['ID front side', 'ID front side'],
    ['ID back side', 'ID back side'],
    ['Passport', 'Passport'],
    ['accountAuthority', 'Account authority'],
    ['shareholderStructure', 'Shareholder structure'],
    ['operationAddress', 'Operating address'],
    ['registeredAddress', 'Registered address'],
    ['selfie', 'Selfie'],
    ['utilityBill', 'utilityBill'],
  ])('shows document type %s as "%s" in the text and the HTML, the raw value in the CSV', (raw, words) => {
    const email = renderAlertEmail([alert({ documentType: raw })], new Date());
    expect(email.text).toContain(`${words} "passport.pdf"`);
    expect(visibleText(email.html)).toContain(words);
    expect(rowsOf(email.attachment.content)[0]?.document_type).toBe(raw);
  });

  it('labels the detection time as such, in UTC, apart from the document', () => {
    const email = renderAlertEmail([alert()], new Date());
    expect(email.text).toMatch(/^ {2}Detected \(UTC\): 2026-11-25 08:07$/m);
    expect(visibleText(email.html)).toContain('Detected (UTC)');
    expect(email.html).toMatch(/<td[^>]*data-label="Detected \(UTC\)"[^>]*>2026-11-25 08:07<\/td>/);
  });
});

describe('alert email: the CSV attachment', () => {
  it('is named with a UTC timestamp and has exactly the SPEC header', () => {
    const email = renderAlertEmail([alert()], new Date('2026-11-25T08:07:07.999Z'));
    expect(email.attachment.filename).toBe('kyc-alerts-20261125T080707Z.csv');
    expect(email.attachment.content.split('\r\n')[0]).toBe(
      'detected_at,customer_id,purpose,document_type,document_name,previous_status,new_status,verification_response,expires_on,case_id',
    );
    expect(CSV_HEADER.join(',')).toBe(email.attachment.content.split('\r\n')[0]);
  });

  it('writes one row per alert, raw values, previous_status empty for appeared, expires_on and case_id empty', () => {
    const email = renderAlertEmail([alert({ newStatus: 'Expired ' }), alert({ previousStatus: null, newStatus: 'declined', baseline: true })], new Date());
    const rows = rowsOf(email.attachment.content);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      detected_at: '2026-11-25T08:07:07.123Z',
      customer_id: 'cust-1',
      purpose: 'KYC',
      document_type: 'Passport',
      document_name: 'passport.pdf',
      previous_status: 'verified',
      new_status: 'Expired ',
      verification_response: 'validity passed',
      expires_on: '',
      case_id: '',
    });
    expect(rows[0]).toMatchObject({ previous_status: '', new_status: 'declined' });
  });

  it.each([
    ['=HYPERLINK("http://evil")', `'=HYPERLINK("http://evil")`],
    ['+1+1', "'+1+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
  ])('neutralises spreadsheet formulas: %j', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
    const email = renderAlertEmail([alert({ documentName: input })], new Date());
    expect(rowsOf(email.attachment.content)[0]?.document_name).toBe(expected);
  });

  it('quotes per RFC 4180: commas, quotes and line breaks survive a round trip', () => {
    const hostile = 'a,"b"\r\nc\nd';
    const email = renderAlertEmail([alert({ verificationResponse: hostile })], new Date());
    expect(rowsOf(email.attachment.content)[0]?.verification_response).toBe(hostile);
  });
});

describe('alert email: hostile values', () => {
  it('escapes every API-supplied value in the HTML', () => {
    const script = '<script>alert(1)</script>';
    const email = renderAlertEmail(
      [alert({ customerId: 'c<1>', purpose: `P${script}`, documentType: '<b>t</b>', documentName: `"><img src=x onerror=alert(1)>`, verificationResponse: script, previousStatus: '<i>', newStatus: '<u>x</u>' })],
      new Date(),
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b>t</b>');
    expect(email.html).not.toContain('<i>');
    expect(email.html).not.toContain('<u>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('keeps line breaks from the API out of the plain text lines and the subject', () => {
    const email = renderAlertEmail([alert({ documentName: 'x\r\nBcc: victim@example.com', verificationResponse: 'a\nb', purpose: 'KYC\r\nBcc: x@y', newStatus: 'expired\r\nX: y' })], new Date());
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).not.toMatch(/\n(Bcc|X):/);
    expect(email.text).toContain('x Bcc: victim@example.com');
  });

  it('lists every alert in the plain text part, with its customer', () => {
    const email = renderAlertEmail([alert(), alert({ customerId: 'cust-9', previousStatus: null, newStatus: 'declined' })], new Date());
    expect(email.text).toContain('Customer cust-1');
    expect(email.text).toContain('Customer cust-9');
    expect(email.text).toContain('The attached CSV');
  });

  it('refuses to render an email of no alerts', () => {
    expect(() => renderAlertEmail([], new Date())).toThrow(RangeError);
  });
});

describe('alert email: case links (SPEC §10, acknowledging from the email)', () => {
  const settings = { publicUrl: 'https://kyc.example/compliance', secret: 'x'.repeat(32) };
  const renderedAt = new Date('2026-11-25T08:07:07.999Z');
  const alerts = [alert({ caseId: 17n }), alert({ customerId: 'cust-2', caseId: 18n, newStatus: 'declined' }), alert({ customerId: 'cust-3', caseId: null })];
  const plain = renderAlertEmail(alerts, renderedAt);
  const linked = renderAlertEmail(alerts, renderedAt, { caseLink: (id, now) => caseLink(settings, id, now) });
  const linkFor = (id: number) => new RegExp(`https://kyc\\.example/compliance/cases/${id}\\?t=[0-9]+\\.[A-Za-z0-9_-]{43}`);

  it('gives every case its link, in the text and the HTML, signed at render time for 30 days', () => {
    const inText = [17, 18].map((id) => linkFor(id).exec(linked.text)?.[0]);
    expect(linked.text).toContain(`Acknowledge case #17: ${inText[0]}`);
    expect(linked.text).toContain(`Acknowledge case #18: ${inText[1]}`);
    for (const [index, id] of [17, 18].entries()) {
      const url = new URL(inText[index] ?? 'x:');
      expect(verifyCaseToken(settings.secret, id, url.searchParams.get('t') ?? '', renderedAt)).toEqual({ ok: true, expiresAt: new Date(Math.floor(renderedAt.getTime() / 1000) * 1000 + 30 * 86_400_000) });
      expect(linked.html).toContain(`href="${url.toString().replaceAll('&', '&amp;')}"`);
    }
    expect(visibleText(linked.html)).toContain('case #17: acknowledge');
    expect(linked.text).toContain('Each case links to its page');
    expect(visibleText(linked.html)).toContain('Each case links to its page');
  });

  it('a document without a case has no link; the CSV is the same with links or without', () => {
    expect(linked.text.match(/Acknowledge case/g)).toHaveLength(2);
    expect(linked.html.match(/\/cases\//g)).toHaveLength(2);
    expect(linked.attachment).toEqual(plain.attachment);
    expect(linked.subject).toBe(plain.subject);
  });

  it('without links (the feature off) the email says nothing of them', () => {
    expect(plain.text).not.toContain('Acknowledge');
    expect(plain.text).not.toContain('links to its page');
    expect(plain.html).not.toContain('/cases/');
    expect(plain.html).toContain('case #17');
  });
});

describe('introduction', () => {
  it('agrees with the number of documents', () => {
    const one = renderAlertEmail([{ detectedAt: new Date('2026-11-26T07:00:00Z'), customerId: 'c-1', purpose: 'KYC', documentType: 'Passport', documentName: 'p', previousStatus: 'verified', newStatus: 'expired', verificationResponse: null, baseline: false }], new Date('2026-11-26T07:01:00Z'));
    expect(one.text.split('\n')[0]).toBe("1 document of 1 customer needs the compliance team's attention: 1 expired.");
  });
});
