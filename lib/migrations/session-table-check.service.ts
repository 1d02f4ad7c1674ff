import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { USER_SESSIONS_DATA_SOURCE, USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionTableMismatchError } from '../exceptions/session-table-mismatch.error.js';
import { checkSessionTable } from './session-table-check.js';
import { ADD_DEVICES_AND_ACTIVITY_TIMESTAMP } from './add-devices-and-activity.migration.js';

/**
 * Checks at start-up that the session table exists and has the shape the options give it, so
 * that an app never starts into a 500 on its first sign-in (`schemaCheck`). One metadata read
 * of one table, once; nothing per request.
 */
@Injectable()
export class SessionTableCheckService implements OnModuleInit {
  constructor(
    @Inject(USER_SESSIONS_MODULE_OPTIONS) private readonly options: ResolvedUserSessionsOptions,
    @Inject(USER_SESSIONS_DATA_SOURCE) private readonly dataSource: DataSource | null,
  ) {}

  async onModuleInit(): Promise<void> {
    // An app's own storage keeps sessions elsewhere: there is no table of ours to check.
    // Without TypeORM (own storage) or before the app initialises it (manualInitialization): nothing to read yet.
    if (this.options.schemaCheck === 'off' || this.options.storage || !this.dataSource?.isInitialized) return;
    const result = await checkSessionTable(this.dataSource, this.options);
    const table = `The session table "${this.options.tableName}"`;
    const message =
      result.status === 'ok'
        ? await this.missingFeatureTables(this.dataSource)
        : result.status === 'missing'
          ? `${table} does not exist, so the first request that signs in would fail. ${result.fix}`
          : `${table} does not match the module's options: ${result.differences.join('; ')}. ${result.fix}`;
    if (message === null) return;
    const switchOff = " (schemaCheck: 'warn' or 'off' turns this check into a warning or off, for a schema managed elsewhere.)";
    if (this.options.schemaCheck === 'warn') Logger.warn(message, 'UserSessions');
    else throw new SessionTableMismatchError(message + switchOff);
  }

  /** The known devices and activity tables, when their features are on: whether each exists. */
  private async missingFeatureTables(dataSource: DataSource): Promise<string | null> {
    const wanted = [
      ...(this.options.knownDevices.enabled ? [{ name: this.options.devicesTableName, off: 'knownDevices: { enabled: false }' }] : []),
      ...(this.options.activityHistoryDays > 0 ? [{ name: this.options.activityTableName, off: 'activityHistoryDays: 0' }] : []),
    ];
    if (wanted.length === 0) return null;
    const runner = dataSource.createQueryRunner();
    const missing: typeof wanted = [];
    try {
      for (const table of wanted) if (!(await runner.hasTable(table.name))) missing.push(table);
    } finally {
      await runner.release();
    }
    if (missing.length === 0) return null;
    return (
      `The table${missing.length > 1 ? 's' : ''} ${missing.map((table) => `"${table.name}"`).join(' and ')} ` +
      `(known devices, security activity) do${missing.length > 1 ? '' : 'es'} not exist, so the first sign-in would miss them. ` +
      `Run the pending migrations (AddDevicesAndActivity${ADD_DEVICES_AND_ACTIVITY_TIMESTAMP}, in UserSessionsMigrations / userSessionsMigrationsFor(); docs/migrations.md), ` +
      `or turn the feature off: ${missing.map((table) => table.off).join(', ')}.`
    );
  }
}
