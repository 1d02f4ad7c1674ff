import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import type { UserIdType } from '../session/user-id.js';
import { documentUserIdType } from './user-sessions.openapi.js';
import { AdminSessionView } from './dto/admin-session.view.js';
import { AdminSessionsQuery } from './dto/admin-sessions.query.js';
import { UserIdParams } from './dto/user-id.params.js';

/** The admin API's three uses of a user id, without the module (one process has one userIdType). */
@Controller()
class ProbeController {
  @Get()
  @ApiResponse({ status: 200, type: AdminSessionView })
  list(@Query() _query: AdminSessionsQuery) {}

  @Delete(':userId')
  end(@Param() _params: UserIdParams) {}
}

async function userIdSchemas(userIdType: UserIdType) {
  documentUserIdType(userIdType);
  const app = (await Test.createTestingModule({ controllers: [ProbeController] }).compile()).createNestApplication({ logger: false });
  await app.init();
  const document: OpenAPIObject = SwaggerModule.createDocument(app, new DocumentBuilder().build());
  await app.close();
  const operations = document.paths as Record<string, Record<string, { parameters: { name: string; schema: object }[] }>>;
  const { description, ...view } = (document.components!.schemas!.AdminSessionView as { properties: Record<string, { description?: string }> }).properties.userId;
  expect(description).toBeTypeOf('string');
  return {
    view,
    query: operations['/'].get.parameters.find(({ name }) => name === 'userId')!.schema,
    param: operations['/{userId}'].delete.parameters[0].schema,
  };
}

describe('documentUserIdType', () => {
  // In this order, each set after another: what a type does not say must not linger from the last.
  it.each([
    ['uuid', { type: 'string', format: 'uuid' }],
    ['string', { type: 'string', minLength: 1, maxLength: 255 }],
    ['number', { type: 'integer' }],
    ['uuid', { type: 'string', format: 'uuid' }],
  ] as const)('userIdType %s: the user ids of the admin API have its form', async (userIdType, schema) => {
    expect(await userIdSchemas(userIdType)).toEqual({ view: { ...schema, nullable: true }, query: schema, param: schema });
  });
});
