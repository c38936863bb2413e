import { migrate } from '../store/migrations.js';
import { EXIT_OK, runCommand } from './context.js';
import { COMMAND_SECTIONS } from './sections.js';

export function migrateCommand(): Promise<number> {
  return runCommand(COMMAND_SECTIONS.migrate, async ({ config, out, log }) => {
    const result = await migrate(config.database.url);
    if (result.createdDatabase) log.info('database created');
    out(result.applied.length ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}` : 'database is up to date');
    return EXIT_OK;
  });
}
