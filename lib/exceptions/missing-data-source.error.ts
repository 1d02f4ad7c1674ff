/**
 * Thrown at start-up when `UserSessionsModule` finds no TypeORM `DataSource` to keep its
 * sessions in: `TypeOrmModule.forRoot()` is missing from the app.
 */
export class MissingDataSourceError extends Error {
  constructor() {
    super(
      'UserSessionsModule keeps sessions in a TypeORM table, but the app has no TypeORM DataSource: import ' +
        "TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, autoLoadEntities: true }) in the application " +
        "module, beside UserSessionsModule.forRoot() (or give the module's storage option to keep sessions elsewhere).",
    );
    this.name = 'MissingDataSourceError';
  }
}
