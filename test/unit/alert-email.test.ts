import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, escapeHtml, neutraliseCell, renderAlertEmail, type AlertView } from '../../src/domain/alert-email.js';

const alert = (over: Partial<AlertView> = {}): AlertView => ({
  detectedAt: new Date('2026-11-25T08:07:07.123Z'),
  customerId: 'cust-1',
  purpose: 'KYC',
  documentType: 'Passport',
  documentName: 'passport.pdf',
  previousStatus: 'verified',
  newStatus: 'expired',
  verificationResponse: 'validity passed',
  ...over,
});

describe('alert email', () => {
  it('states how many documents and customers in the subject', () => {
    const email = renderAlertEmail([alert(), alert({ documentName: 'b', newStatus: 'declined' }), alert({ customerId: 'cust-2' })], new Date());
    expect(email.subject).toBe('KYC alert: 3 documents of 2 customers declined or expired');
    expect(renderAlertEmail([alert()], new Date()).subject).toBe('KYC alert: 1 document of 1 customer expired');
  });

  it('names the attachment with a UTC timestamp and writes exactly the SPEC header', () => {
    const email = renderAlertEmail([alert()], new Date('2026-11-25T08:07:07.999Z'));
    expect(email.attachment.filename).toBe('kyc-alerts-20261125T080707Z.csv');
    expect(email.attachment.content.split('\r\n')[0]).toBe(
      'detected_at,customer_id,purpose,document_type,document_name,previous_status,new_status,verification_response',
    );
    expect(CSV_HEADER.join(',')).toBe(email.attachment.content.split('\r\n')[0]);
  });

  it('writes one row per alert, previous_status empty for appeared', () => {
    const email = renderAlertEmail([alert(), alert({ previousStatus: null, newStatus: 'declined' })], new Date());
    const rows = parse(email.attachment.content, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ detected_at: '2026-11-25T08:07:07.123Z', customer_id: 'cust-1', previous_status: 'verified', new_status: 'expired', verification_response: 'validity passed' });
    expect(rows[1]?.previous_status).toBe('');
  });

  it.each([
    ['=HYPERLINK("http://evil")', `'=HYPERLINK("http://evil")`],
    ['+1+1', "'+1+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
  ])('neutralises spreadsheet formulas: %s', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
    const email = renderAlertEmail([alert({ documentName: input })], new Date());
    const [row] = parse(email.attachment.content, { columns: true }) as Array<Record<string, string>>;
    expect(row?.document_name).toBe(expected);
  });

  it('quotes per RFC 4180: commas, quotes and line breaks survive a round trip', () => {
    const hostile = 'a,"b"\r\nc\nd';
    const email = renderAlertEmail([alert({ verificationResponse: hostile })], new Date());
    const [row] = parse(email.attachment.content, { columns: true }) as Array<Record<string, string>>;
    expect(row?.verification_response).toBe(hostile);
  });

  it('escapes every API-supplied value in the HTML', () => {
    const script = '<script>alert(1)</script>';
    const email = renderAlertEmail(
      [alert({ customerId: 'c<1>', purpose: `P${script}`, documentType: '<b>t</b>', documentName: `"><img src=x onerror=alert(1)>`, verificationResponse: script, previousStatus: '<i>', newStatus: 'expired' })],
      new Date(),
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b>t</b>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('keeps line breaks from the API out of the plain text lines and the subject', () => {
    const email = renderAlertEmail([alert({ documentName: 'x\r\nBcc: victim@example.com', verificationResponse: 'a\nb' })], new Date());
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).not.toContain('\nBcc:');
    expect(email.text).toContain('x Bcc: victim@example.com');
  });

  it('lists every alert in the plain text part', () => {
    const email = renderAlertEmail([alert(), alert({ customerId: 'cust-9', previousStatus: null, newStatus: 'declined' })], new Date());
    expect(email.text).toContain('Customer cust-1: KYC Passport "passport.pdf"');
    expect(email.text).toContain('verified → expired');
    expect(email.text).toContain('new, declined');
  });
});
