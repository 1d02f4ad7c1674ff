import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { USER_SESSIONS_DATA_SOURCE, USER_SESSIONS_MODULE_OPTIONS } from '../user-sessions.constants.js';
import type { ResolvedUserSessionsOptions } from '../options/user-sessions-module-options.interface.js';
import { SessionTableMismatchError } from '../exceptions/session-table-mismatch.error.js';
import { checkSessionTable } from './session-table-check.js';

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
    if (result.status === 'ok') return;
    const table = `The session table "${this.options.tableName}"`;
    const message =
      result.status === 'missing'
        ? `${table} does not exist, so the first request that signs in would fail. ${result.fix}`
        : `${table} does not match the module's options: ${result.differences.join('; ')}. ${result.fix}`;
    const switchOff = " (schemaCheck: 'warn' or 'off' turns this check into a warning or off, for a schema managed elsewhere.)";
    if (this.options.schemaCheck === 'warn') Logger.warn(message, 'UserSessions');
    else throw new SessionTableMismatchError(message + switchOff);
  }
}
