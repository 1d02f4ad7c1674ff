import { validateSync } from 'class-validator';
import type { ResolvedUserSessionsOptions, UserSessionsModuleOptions, UserSessionsStaticOptions } from './user-sessions-module-options.interface.js';
import { InvalidUserSessionsOptionsError } from '../exceptions/invalid-user-sessions-options.error.js';
import { nestedOptionsOf, StaticOptionsSchema, UserSessionsOptionsSchema, type OptionsSchema } from './user-sessions-options.schema.js';
import { KnownDevicesOptionsSchema, RiskSignalsOptionsSchema } from './trust-options.schema.js';

/** The options that shape the table and routes, read when the module is declared: the static schema's keys. */
export const STATIC_OPTION_KEYS = Object.keys(new StaticOptionsSchema()) as (keyof UserSessionsStaticOptions)[];

/**
 * Applies the defaults and validates the result against the schema
 * (`user-sessions-options.schema.ts`), then the rules between options. Throws
 * `InvalidUserSessionsOptionsError` naming every wrong or unknown option, so that a typo fails
 * at start-up, not in production. `'static'`: only the static options are known yet
 * (`forRootAsync()`), so the rules that need the others wait.
 */
export function resolveUserSessionsOptions(
  options: UserSessionsModuleOptions = {},
  scope: 'all' | 'static' = 'all',
): ResolvedUserSessionsOptions {
  const problems: string[] = [];
  if (options === null || typeof options !== 'object') {
    throw new InvalidUserSessionsOptionsError(['options must be an object']);
  }
  const resolved = validateLevel(UserSessionsOptionsSchema, options, '', 'the options are', problems) as unknown as ResolvedUserSessionsOptions;
  problems.push(...crossFieldProblems(resolved, scope));
  if (problems.length > 0) {
    throw new InvalidUserSessionsOptionsError(problems);
  }
  const hostPrefix = resolved.hostPrefix ?? (resolved.secure === true && resolved.cookieDomain === undefined && resolved.cookiePath === '/');
  const knownDevices = { ...new KnownDevicesOptionsSchema(), ...resolved.knownDevices };
  return {
    ...resolved,
    knownDevices: { ...knownDevices, cookieName: knownDevices.cookieName ?? `${resolved.cookieName}_device` },
    riskSignals: { ...new RiskSignalsOptionsSchema(), ...resolved.riskSignals },
    requireRecentLogin: withEndSessionRule(resolved.requireRecentLogin),
    hostPrefix,
    path: resolved.path.replace(/^\/+|\/+$/g, ''),
    adminPath: resolved.adminPath?.replace(/^\/+|\/+$/g, ''),
    trustedOrigins: resolved.trustedOrigins.map((origin) => origin.toLowerCase()),
  };
}

/**
 * One level of options (the top, or a nested object such as `cache`): `given` over the schema's
 * defaults, every unknown key and broken rule added to `problems`, nested levels in turn.
 * Returns a plain object.
 */
function validateLevel(Schema: OptionsSchema, given: object, prefix: string, listLabel: string, problems: string[]): Record<string, unknown> {
  const schema = new Schema() as Record<string, unknown>;
  const keys = Object.keys(schema);
  for (const [key, value] of Object.entries(given)) {
    // An option given as undefined is one not given, whatever its name.
    if (value === undefined) continue;
    if (keys.includes(key)) schema[key] = value;
    else problems.push(`unknown option "${prefix}${key}"; ${listLabel}: ${keys.join(', ')}`);
  }
  const nested = nestedOptionsOf(schema);
  for (const error of validateSync(schema)) {
    if (!(error.property in nested)) problems.push(...Object.values(error.constraints ?? {}));
  }
  for (const [key, { schema: nestedSchema, example }] of Object.entries(nested)) {
    const value = schema[key];
    if (value === undefined) continue;
    if (value === null || typeof value !== 'object') problems.push(example);
    else schema[key] = validateLevel(nestedSchema(), value, `${prefix}${key}.`, `the ${prefix}${key} options are`, problems);
  }
  return { ...schema };
}

/** The rules between options, once each is valid on its own. */
function crossFieldProblems(options: ResolvedUserSessionsOptions, scope: 'all' | 'static'): string[] {
  const problems: string[] = [];
  if (scope === 'all' && options.adminPath !== undefined && options.isAdmin === undefined) {
    problems.push('adminPath turns the admin API on, so isAdmin must say who is an administrator');
  }
  if (options.isAdmin !== undefined && options.adminPath === undefined) {
    problems.push("isAdmin is only used by the admin API: set adminPath too (e.g. 'admin/sessions') or drop isAdmin");
  }
  if (options.sameSite === 'none' && options.secure !== true) {
    problems.push("sameSite 'none' requires secure: true (browsers drop SameSite=None cookies without Secure)");
  }
  if (typeof options.idleTimeout === 'number' && options.idleTimeout > 0) {
    // Last activity is written at most once per activityInterval: a shorter idle timeout
    // would end sessions that are in use.
    if (options.idleTimeout <= options.activityInterval) {
      problems.push(
        `idleTimeout (${options.idleTimeout}) must be longer than activityInterval (${options.activityInterval}), since last activity is recorded at most once per activityInterval; lower activityInterval to a small part of idleTimeout`,
      );
    }
    if (options.idleTimeout >= options.maxAge) {
      problems.push(`idleTimeout (${options.idleTimeout}) must be shorter than maxAge (${options.maxAge}), or it never applies; 0 turns it off`);
    }
  }
  if (typeof options.rotationInterval === 'number' && options.rotationInterval > 0) {
    if (typeof options.rotationGrace === 'number' && options.rotationGrace >= options.rotationInterval) {
      problems.push(
        `rotationGrace (${options.rotationGrace}) must be shorter than rotationInterval (${options.rotationInterval}): the replaced key would outlive the next rotation`,
      );
    }
  }
  if (options.hostPrefix === true && (options.secure !== true || options.cookieDomain !== undefined || options.cookiePath !== '/')) {
    problems.push("hostPrefix needs secure: true, no cookieDomain and cookiePath '/': browsers refuse a __Host- cookie otherwise");
  }
  const recent = options.requireRecentLogin;
  if (recent?.endSession !== undefined && recent.endOtherSessions === undefined) {
    problems.push(
      'requireRecentLogin.endSession without endOtherSessions would let "End all other sessions" do what ending one session may not; set endOtherSessions too',
    );
  }
  if (recent?.endSession !== undefined && recent.endOtherSessions !== undefined && recent.endSession > recent.endOtherSessions) {
    problems.push(
      `requireRecentLogin.endSession (${recent.endSession}) must not be longer than endOtherSessions (${recent.endOtherSessions}): ending the other sessions one by one would sidestep the shorter limit`,
    );
  }
  const deviceCookie = options.knownDevices?.cookieName;
  if (deviceCookie !== undefined && (deviceCookie === options.cookieName || deviceCookie === options.legacyCookie?.name)) {
    problems.push(`knownDevices.cookieName "${deviceCookie}" must differ from the session cookie's (and legacyCookie's) name: one cookie would overwrite the other`);
  }
  const { cache } = options;
  if (cache && typeof cache === 'object' && options.storageTimeout > 0 && cache.timeout >= options.storageTimeout) {
    problems.push(
      `cache.timeout (${cache.timeout}) must be shorter than storageTimeout (${options.storageTimeout}), or a slow Redis would leave the database no time to answer`,
    );
  }
  return problems;
}

/**
 * Ending one other session is held to the rule of ending all of them: otherwise a stolen cookie
 * signs the user out everywhere, one session at a time.
 */
function withEndSessionRule(recent: ResolvedUserSessionsOptions['requireRecentLogin']): ResolvedUserSessionsOptions['requireRecentLogin'] {
  if (recent?.endOtherSessions === undefined || recent.endSession !== undefined) return recent;
  return { ...recent, endSession: recent.endOtherSessions };
}
