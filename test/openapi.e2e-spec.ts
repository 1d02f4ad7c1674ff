import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiExcludeController, DECORATORS, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { transformFile } from '@swc/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UserSessionsAdminController,
  UserActivityAdminController,
  UserSessionsModule,
  type UserSessionsModuleAsyncOptions,
  type UserSessionsModuleOptions,
  includeAdminApiInOpenApi,
} from '../lib/index.js';
import { createTestDatabase } from './support/databases.js';
import { sessionCookie, useTestApp } from './support/test-app.js';

type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
};
type Operation = {
  tags: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean; schema: Schema }[];
  responses: Record<string, { description: string; content?: { 'application/json': { schema: Schema } } }>;
};

const ERROR = { $ref: '#/components/schemas/SessionsApiErrorView' };
const SESSION_ID = '^[0-9a-f]{64}$';
const DATE_TIME = { type: 'string', format: 'date-time' };
const NULLABLE_STRING = { type: 'string', nullable: true };

function operation(document: OpenAPIObject, path: string, method: string): Operation {
  const found = (document.paths[path] as Record<string, Operation> | undefined)?.[method];
  if (!found) throw new Error(`no ${method.toUpperCase()} ${path} in the document`);
  return found;
}

/** Status code to the schema of its JSON body ('none' for a response without one). */
function responses(op: Operation): Record<string, Schema | 'none'> {
  return Object.fromEntries(
    Object.entries(op.responses).map(([status, response]) => [status, response.content?.['application/json'].schema ?? 'none']),
  );
}

/** The object a local `$ref` points to, or undefined. */
function resolve(document: OpenAPIObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
}

/** Every value of `key` anywhere in the document. */
function collect(node: unknown, key: string, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) node.forEach((item) => collect(item, key, found));
  else if (node !== null && typeof node === 'object') {
    for (const [name, value] of Object.entries(node)) {
      if (name === key) found.push(value);
      collect(value, key, found);
    }
  }
  return found;
}

/**
 * Where `value` departs from `schema` (the OpenAPI 3.0 subset these schemas use): a property
 * the schema does not name counts too, so the document says all that an answer holds.
 */
function mismatches(document: OpenAPIObject, value: unknown, schema: Schema, at = 'body'): string[] {
  if (schema.$ref) return mismatches(document, value, resolve(document, schema.$ref) as Schema, at);
  if (value === null) return schema.nullable ? [] : [`${at} is null`];
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((option) => mismatches(document, value, option, at).length === 0);
    return matching.length === 1 ? [] : [`${at} matches ${matching.length} of oneOf`];
  }
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => ok || problems.push(`${at} ${problem}`);
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at} is not an object`];
      const record = value as Record<string, unknown>;
      const properties = schema.properties ?? {};
      for (const name of schema.required ?? []) expect(name in record, `has no ${name}`);
      for (const [name, item] of Object.entries(record)) {
        if (properties[name]) problems.push(...mismatches(document, item, properties[name], `${at}.${name}`));
        else problems.push(`${at}.${name} is not in the schema`);
      }
      return problems;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${at} is not an array`];
      return value.flatMap((item, index) => mismatches(document, item, schema.items!, `${at}[${index}]`));
    case 'string':
      if (typeof value !== 'string') return [`${at} is not a string`];
      if (schema.pattern) expect(new RegExp(schema.pattern).test(value), `does not match ${schema.pattern}`);
      if (schema.format === 'date-time') expect(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value), 'is not a date-time');
      if (schema.enum) expect(schema.enum.includes(value), `is not one of ${schema.enum.join(', ')}`);
      return problems;
    case 'integer':
      if (!Number.isInteger(value)) return [`${at} is not an integer`];
      if (schema.minimum !== undefined) expect((value as number) >= schema.minimum, `is below ${schema.minimum}`);
      return problems;
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at} is not a boolean`];
    default:
      return [`${at}: the schema has no type`];
  }
}

// The document depends on the options, not on the database: SQLite is enough.
describe('OpenAPI document of the sessions APIs', () => {
  const options: UserSessionsModuleOptions = {
    cookieName: 'sid',
    userIdType: 'number',
    adminPath: 'admin/sessions',
    isAdmin: ({ userId }) => userId === 1,
  };
  const t = useTestApp('sqlite', options);
  let document: OpenAPIObject;
  beforeAll(() => {
    // The admin API is left out unless the app opts in, as docs/openapi.md shows.
    includeAdminApiInOpenApi();
    try {
      document = SwaggerModule.createDocument(t.app, new DocumentBuilder().addCookieAuth('sid', { type: 'apiKey' }, 'sid').build());
    } finally {
      ApiExcludeController()(UserSessionsAdminController);
      ApiExcludeController()(UserActivityAdminController);
    }
  });

  it('GET, DELETE :id and DELETE of the `path`: tags, summaries, the configured cookie, parameters, answers', () => {
    const list = operation(document, '/account/sessions', 'get');
    const endOne = operation(document, '/account/sessions/{id}', 'delete');
    const endOthers = operation(document, '/account/sessions', 'delete');
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/account/sessions'))).toEqual(['/account/sessions', '/account/sessions/{id}']);
    expect(Object.keys(document.paths['/account/sessions'])).toEqual(['get', 'delete']);
    expect(Object.keys(document.paths['/account/sessions/{id}'])).toEqual(['delete']);

    for (const op of [list, endOne, endOthers]) {
      expect(op.tags).toEqual(['sessions']);
      expect(op.summary).toMatch(/^[A-Z].{10,}/);
      expect(op.security).toEqual([{ sid: [] }]);
      for (const response of Object.values(op.responses)) expect(response.description.length).toBeGreaterThan(5);
    }
    expect(list.parameters).toEqual([]);
    expect(endOthers.parameters).toEqual([]);
    expect(endOne.parameters).toMatchObject([{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: SESSION_ID } }]);

    expect(responses(list)).toEqual({ 200: { type: 'array', items: { $ref: '#/components/schemas/SessionView' } }, 401: ERROR, 503: ERROR });
    expect(responses(endOne)).toEqual({ 204: 'none', 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 503: ERROR });
    expect(responses(endOthers)).toEqual({ 200: { $ref: '#/components/schemas/EndOtherSessionsResult' }, 401: ERROR, 403: ERROR, 503: ERROR });
    expect(endOne.responses[403].description).toContain('another origin');
  });

  it('the response schemas: every property with its type, nullable where it can be null, all required', () => {
    const schemas = document.components!.schemas as Record<string, Schema>;
    const common = {
      id: { type: 'string', pattern: SESSION_ID },
      ip: NULLABLE_STRING,
      userAgent: NULLABLE_STRING,
      device: NULLABLE_STRING,
      browser: NULLABLE_STRING,
      platform: NULLABLE_STRING,
      location: NULLABLE_STRING,
      lastActivity: DATE_TIME,
      expireDate: DATE_TIME,
    };
    const expectObject = (name: string, properties: Record<string, Schema>) => {
      const schema = schemas[name];
      expect(schema.type, name).toBe('object');
      expect(Object.keys(schema.properties!).sort(), name).toEqual(Object.keys(properties).sort());
      expect(schema.properties, name).toMatchObject(properties);
      for (const [property, value] of Object.entries(schema.properties!)) {
        if (!properties[property].nullable) expect(value.nullable, `${name}.${property}`).toBeUndefined();
      }
    };
    expectObject('SessionView', { ...common, current: { type: 'boolean' } });
    expectObject('EndOtherSessionsResult', { deleted: { type: 'integer', minimum: 0 } });
    expectObject('AdminSessionView', { ...common, userId: { type: 'integer', nullable: true }, createdAt: DATE_TIME, valid: { type: 'boolean' } });
    expectObject('AdminSessionsPage', { sessions: { type: 'array', items: { $ref: '#/components/schemas/AdminSessionView' } }, nextCursor: NULLABLE_STRING });
    expectObject('EndUserSessionsResult', { ended: { type: 'integer', minimum: 0 } });
    expectObject('SessionsApiErrorView', {
      statusCode: { type: 'integer' },
      message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      error: { type: 'string' },
      reauthenticate: { type: 'boolean' },
    });
    for (const name of ['SessionView', 'EndOtherSessionsResult', 'AdminSessionView', 'AdminSessionsPage', 'EndUserSessionsResult']) {
      expect(schemas[name].required!.sort(), name).toEqual(Object.keys(schemas[name].properties!).sort());
    }
    // A 503 from a failed commit has no `error`.
    expect(schemas.SessionsApiErrorView.required).toEqual(['statusCode', 'message']);
  });

  it('the admin API of `adminPath`: its operations and the list filters with their constraints', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin/'))).toEqual([
      '/admin/sessions',
      '/admin/sessions/users/{userId}',
      '/admin/sessions/{id}',
      '/admin/sessions/users/{userId}/activity',
    ]);
    expect(operation(document, '/admin/sessions/users/{userId}/activity', 'get').security).toEqual([{ sid: [] }]);
    const list = operation(document, '/admin/sessions', 'get');
    const endOne = operation(document, '/admin/sessions/{id}', 'delete');
    const endAll = operation(document, '/admin/sessions/users/{userId}', 'delete');
    for (const op of [list, endOne, endAll]) {
      expect(op.tags).toEqual(['sessions admin']);
      expect(op.summary).toMatch(/^[A-Z].{10,}/);
      expect(op.security).toEqual([{ sid: [] }]);
      // Everyone but administrators gets the 404 of a path with no route, never a 401.
      expect(op.responses[401]).toBeUndefined();
      expect(op.responses[404].description).toContain('administrator');
    }
    expect(responses(list)).toEqual({ 200: { $ref: '#/components/schemas/AdminSessionsPage' }, 400: ERROR, 404: ERROR, 503: ERROR });
    expect(responses(endOne)).toEqual({ 204: 'none', 400: ERROR, 403: ERROR, 404: ERROR, 503: ERROR });
    expect(responses(endAll)).toEqual({ 200: { $ref: '#/components/schemas/EndUserSessionsResult' }, 400: ERROR, 403: ERROR, 404: ERROR, 503: ERROR });

    const query = Object.fromEntries(list.parameters.map(({ name, ...parameter }) => [name, parameter]));
    expect(Object.keys(query).sort()).toEqual(['cursor', 'ipPrefix', 'limit', 'status', 'userId']);
    for (const parameter of Object.values(query)) expect(parameter).toMatchObject({ in: 'query', required: false });
    expect(query.status.schema).toEqual({ type: 'string', enum: ['active', 'expired', 'all'], default: 'active' });
    expect(query.limit.schema).toEqual({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(query.ipPrefix.schema).toMatchObject({ type: 'string', pattern: '^[0-9a-fA-F.:]{1,45}$' });
    expect(query.cursor.schema).toEqual({ type: 'string' });
    expect(query.userId.schema).toEqual({ type: 'integer' });
    expect(endOne.parameters).toMatchObject([{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: SESSION_ID } }]);
    expect(endAll.parameters).toMatchObject([{ name: 'userId', in: 'path', required: true, schema: { type: 'integer' } }]);
  });

  it('is a well-formed OpenAPI 3 document: every $ref resolves, every security name is a scheme, path parameters match', () => {
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    const refs = collect(document, '$ref') as string[];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(resolve(document, ref), ref).toBeTypeOf('object');
    for (const requirement of collect(document.paths, 'security').flat() as Record<string, unknown>[]) {
      for (const name of Object.keys(requirement)) expect(document.components?.securitySchemes?.[name], name).toBeDefined();
    }
    expect(document.components!.securitySchemes!.sid).toEqual({ type: 'apiKey', in: 'cookie', name: 'sid' });
    const operationIds: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const op of Object.values(item as Record<string, Operation>)) {
        operationIds.push((op as unknown as { operationId: string }).operationId);
        const inPath = op.parameters.filter((parameter) => parameter.in === 'path');
        expect(inPath.map((parameter) => parameter.name), path).toEqual(templated);
        for (const parameter of inPath) expect(parameter.required).toBe(true);
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('says what the API answers: real answers, success and error, match their documented schemas', async () => {
    const login = await request(t.url).post('/login').send({ userId: 1 }).expect(201);
    const cookie = `sid=${sessionCookie(login.headers['set-cookie'], 'sid')}`;
    await request(t.url).post('/login').set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0').send({ userId: 1 }).expect(201);

    const answers: [string, string, request.Response][] = [
      ['/account/sessions', 'get', await request(t.url).get('/account/sessions').set('Cookie', cookie)],
      ['/account/sessions', 'get', await request(t.url).get('/account/sessions')],
      ['/account/sessions/{id}', 'delete', await request(t.url).delete('/account/sessions/not-an-id').set('Cookie', cookie)],
      ['/account/sessions/{id}', 'delete', await request(t.url).delete(`/account/sessions/${'0'.repeat(64)}`).set('Cookie', cookie)],
      ['/account/sessions/{id}', 'delete', await request(t.url).delete(`/account/sessions/${'0'.repeat(64)}`).set('Cookie', cookie).set('Origin', 'https://evil.example')],
      ['/admin/sessions', 'get', await request(t.url).get('/admin/sessions?status=all').set('Cookie', cookie)],
      ['/admin/sessions', 'get', await request(t.url).get('/admin/sessions?limit=500&colour=red').set('Cookie', cookie)],
      ['/admin/sessions', 'get', await request(t.url).get('/admin/sessions')],
      ['/admin/sessions/users/{userId}', 'delete', await request(t.url).delete('/admin/sessions/users/bob').set('Cookie', cookie)],
      ['/admin/sessions/users/{userId}', 'delete', await request(t.url).delete('/admin/sessions/users/2').set('Cookie', cookie)],
      ['/account/sessions', 'delete', await request(t.url).delete('/account/sessions').set('Cookie', cookie)],
    ];
    expect(answers.map(([, , response]) => response.status)).toEqual([200, 401, 400, 404, 403, 200, 400, 404, 400, 200, 200]);
    expect(answers[0][2].body).toHaveLength(2);
    expect(answers[5][2].body.sessions).toHaveLength(2);
    expect(answers[10][2].body).toEqual({ deleted: 1 });
    for (const [path, method, response] of answers) {
      const documented = operation(document, path, method).responses[response.status];
      expect(documented, `${method} ${path} ${response.status}`).toBeDefined();
      const schema = documented.content!['application/json'].schema;
      expect(mismatches(document, response.body, schema), `${method} ${path} ${response.status}`).toEqual([]);
    }
  });

  it('leaves the admin API out of the document by default: its 404s hide it from everyone else', () => {
    const byDefault = SwaggerModule.createDocument(t.app, new DocumentBuilder().build());
    expect(Object.keys(byDefault.paths).filter((path) => path.startsWith('/admin/'))).toEqual([]);
    expect(Object.keys(byDefault.paths)).toContain('/account/sessions/{id}');
  });
});

describe('OpenAPI document of forRootAsync without adminPath', () => {
  it('has no admin operation, and names the cookie that the factory gave', async () => {
    // userIdType as above: one process has one table shape (the other forms: user-sessions.openapi.spec.ts).
    const asyncOptions: UserSessionsModuleAsyncOptions = {
      path: 'me/sessions',
      userIdType: 'number',
      useFactory: () => ({ cookieName: 'app_session' }),
    };
    const database = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...database.options, autoLoadEntities: true, synchronize: true } as Parameters<typeof TypeOrmModule.forRoot>[0]),
        UserSessionsModule.forRootAsync(asyncOptions),
      ],
    }).compile();
    // No server: the factory runs in init(), and the document needs no more.
    const app = await moduleRef.createNestApplication({ logger: ['error'] }).init();
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    await app.close();
    await database.drop();
    // The account's other routes share the prefix: path 'me/sessions' puts them under /me.
    expect(Object.keys(document.paths).sort()).toEqual(['/me/activity', '/me/devices', '/me/devices/answer', '/me/devices/answer/preview', '/me/sessions', '/me/sessions/{id}']);
    expect(Object.keys(document.components!.schemas!).sort()).toEqual([
      'ActivityEntryView',
      'ActivityPage',
      'DeviceAnswerBody',
      'DeviceAnswerOutcome',
      'DeviceAnswerPreview',
      'DeviceView',
      'EndOtherSessionsResult',
      'SessionView',
      'SessionsApiErrorView',
    ]);
    expect(collect(document.paths, 'security').flat()).toEqual(Array(5).fill({ app_session: [] }));
  });
});

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');

/**
 * The library and `app-without-swagger.ts`, compiled to JavaScript as tsc would, in `dir`
 * beside a node_modules of links to every installed package but @nestjs/swagger.
 */
async function buildWithoutSwagger(dir: string): Promise<string> {
  const sources = [
    ...readdirSync(join(root, 'lib'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
      .map((file) => join(root, 'lib', file)),
    join(root, 'test/support/app-without-swagger.ts'),
  ];
  await Promise.all(
    sources.map(async (source) => {
      const { code } = await transformFile(source, {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        },
        module: { type: 'es6' },
      });
      const target = join(dir, relative(root, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const installed = realpathSync(join(root, 'node_modules'));
  mkdirSync(join(dir, 'node_modules/@nestjs'), { recursive: true });
  for (const name of readdirSync(installed)) {
    if (name !== '@nestjs') symlinkSync(join(installed, name), join(dir, 'node_modules', name));
  }
  for (const name of readdirSync(join(installed, '@nestjs'))) {
    if (name !== 'swagger') symlinkSync(join(installed, '@nestjs', name), join(dir, 'node_modules/@nestjs', name));
  }
  return join(dir, 'test/support/app-without-swagger.js');
}

describe('without @nestjs/swagger installed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'no-swagger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the library loads and its routes work: nothing imports @nestjs/swagger but the adapter, which does without it', async () => {
    const app = await buildWithoutSwagger(dir);
    const { stdout } = await execFileAsync(process.execPath, [app], { cwd: dir, timeout: 30_000 });
    const seen = JSON.parse(stdout.trim().split('\n').pop()!);

    expect(seen.swaggerImport).toBe('ERR_MODULE_NOT_FOUND');
    expect(seen.signedOut.status).toBe(401);
    expect(seen.login.status).toBe(201);
    expect(seen.list.status).toBe(200);
    expect(seen.list.body).toMatchObject([{ current: true, id: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(seen.badId).toMatchObject({ status: 400, body: { message: ['id must be a session id as GET returns it (64 hex digits)'] } });
    expect(seen.adminList).toMatchObject({ status: 400, body: { message: ['limit must be at most 200 sessions per page'] } });
    expect(seen.adminPage.status).toBe(200);
    expect(seen.adminPage.body.sessions).toMatchObject([{ userId: 1, valid: true }]);
  });
});
