import { displayId } from '../domain/customer-id.js';
import { CommandError, EXIT_OK, rejectInvalidIds, runCommand } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

export async function historyCommand(customerId: string, options: { json?: boolean; limit?: number }): Promise<number> {
  const invalid = rejectInvalidIds([customerId]);
  if (invalid !== null) return invalid;
  return runCommand(COMMAND_SECTIONS.history, async ({ app, out }) => {
    const { known, events } = await app.events.history(customerId, options.limit ?? 1000);
    if (!known) {
      throw new CommandError(`customer ${displayId(customerId)} was never tracked`);
    }
    if (options.json) {
      out(JSON.stringify({ customerId, events: events.map((e) => ({ ...e, detectedAt: e.detectedAt.toISOString() })) }));
      return EXIT_OK;
    }
    if (events.length === 0) out(`no document events for ${customerId} yet`);
    for (const e of events) {
      const change = e.kind === 'status_changed' ? `${e.previousStatus} → ${e.newStatus}` : e.kind === 'appeared' ? `appeared ${e.newStatus}${e.baseline ? ' (baseline)' : ''}` : `removed (was ${e.previousStatus})`;
      const response = e.verificationResponse ? ` (verification response ${JSON.stringify(e.verificationResponse)})` : '';
      const expiry = e.expiresOn ? `, expires ${e.expiresOn}` : '';
      out(`${e.detectedAt.toISOString()}  ${e.purpose} ${e.documentType} ${JSON.stringify(e.name)}: ${change}${expiry}${response}`);
    }
    return EXIT_OK;
  }, { requireMigrated: true });
}
