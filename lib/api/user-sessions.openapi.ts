import type { UserIdType } from '../session/user-id.js';
import { includeController, setApiCookieAuth, setApiProperty, type ApiPropertyOptions } from './openapi.js';
import { UserSessionsController } from './user-sessions.controller.js';
import { UserSessionsAdminController } from './user-sessions-admin.controller.js';
import { UserActivityController } from './user-activity.controller.js';
import { UserActivityAdminController } from './user-activity-admin.controller.js';
import { UserDevicesController } from './user-devices.controller.js';
import { AdminSessionView } from './dto/admin-session.view.js';
import { AdminSessionsQuery } from './dto/admin-sessions.query.js';
import { UserIdParams } from './dto/user-id.params.js';

/*
 * The parts of the APIs' OpenAPI description that follow the options, set by the module once
 * the options are known (the rest is in decorators). Without @nestjs/swagger they do nothing.
 */

const USER_ID_SCHEMAS: Record<UserIdType, Pick<ApiPropertyOptions, 'format' | 'minLength' | 'maxLength'> & { type: 'integer' | StringConstructor }> = {
  string: { type: String, minLength: 1, maxLength: 255 },
  number: { type: 'integer' },
  uuid: { type: String, format: 'uuid' },
};

/** The user ids of the admin API in the form of `userIdType`. */
export function documentUserIdType(userIdType: UserIdType): void {
  const schema = USER_ID_SCHEMAS[userIdType];
  setApiProperty(AdminSessionView, 'userId', { ...schema, nullable: true, description: 'The signed-in user; null for an anonymous session.' });
  setApiProperty(AdminSessionsQuery, 'userId', { ...schema, required: false, description: "Only this user's sessions." });
  setApiProperty(UserIdParams, 'userId', { ...schema, description: 'The user whose sessions all end.' });
}

/** The session cookie, by the `cookieName` of the app, as what every operation needs. */
export function documentSessionCookie(cookieName: string): void {
  setApiCookieAuth(UserSessionsController, cookieName);
  setApiCookieAuth(UserSessionsAdminController, cookieName);
  setApiCookieAuth(UserActivityController, cookieName);
  setApiCookieAuth(UserActivityAdminController, cookieName);
  // The answers to "Was this you?" need no session: only the device list does.
  setApiCookieAuth(UserDevicesController, cookieName, 'list');
}

/**
 * Puts the admin API (`adminPath`) into the app's OpenAPI document, which leaves it out by
 * default: a published admin path tells everyone what the admin guard's 404 hides. Call it
 * before `SwaggerModule.createDocument()`, for a document only administrators can read.
 */
export function includeAdminApiInOpenApi(): void {
  includeController(UserSessionsAdminController);
  includeController(UserActivityAdminController);
}
