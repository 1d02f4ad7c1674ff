import { Session } from './session/session.entity.js';
import { UserDevice } from './session/user-device.entity.js';
import { SecurityActivityRecord } from './session/security-activity.entity.js';

/**
 * The module's TypeORM entities, for a DataSource that lists its entities rather than using
 * `autoLoadEntities`: the sessions, the known devices and the security activity history.
 *
 * @example entities: [User, ...UserSessionsEntities]
 */
export const UserSessionsEntities = [Session, UserDevice, SecurityActivityRecord] as const;
