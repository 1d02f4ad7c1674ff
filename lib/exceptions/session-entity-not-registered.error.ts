/**
 * Thrown at start-up when the app's TypeORM `DataSource` does not know an entity of the module
 * (`Session`, and with their features on `UserDevice` and `SecurityActivityRecord`): an explicit
 * `entities` list without it, and no `autoLoadEntities`.
 */
export class SessionEntityNotRegisteredError extends Error {
  constructor(missing: string[] = ['Session']) {
    const features = missing.filter((name) => name !== 'Session');
    super(
      `The TypeORM DataSource does not know the ${missing.join(' and ')} ${missing.length > 1 ? 'entities' : 'entity'} of nestjs-user-sessions: ` +
        "add them to the entities list (entities: [User, ...UserSessionsEntities], with UserSessionsEntities imported from 'nestjs-user-sessions'), " +
        'or set autoLoadEntities: true in TypeOrmModule.forRoot()' +
        (features.length > 0
          ? `, or turn their feature off (${features.map((name) => (name === 'UserDevice' ? 'knownDevices: { enabled: false }' : 'activityHistoryDays: 0')).join(', ')}).`
          : '.'),
    );
    this.name = 'SessionEntityNotRegisteredError';
  }
}
