import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { TestingModule } from '@nestjs/testing';
import { describe } from 'vitest';
import { databaseMatrix, type DatabaseKind } from './databases.js';

/** The HTTP platforms the module supports; every main suite runs on both. */
export type TestPlatform = 'express' | 'fastify';
export const PLATFORMS: readonly TestPlatform[] = ['express', 'fastify'];
const PLATFORM_LABELS: Record<TestPlatform, string> = { express: 'Express', fastify: 'Fastify' };

/**
 * The Nest application of a compiled module on `platform`, trusting `trustProxy`, as
 * `NestFactory.create()` would make it in an app's main.ts.
 */
export async function createTestApplication(
  moduleRef: TestingModule,
  { platform = 'express', trustProxy, logger = ['error'] }: { platform?: TestPlatform; trustProxy?: boolean | string; logger?: false | ('error' | 'warn' | 'log')[] } = {},
): Promise<INestApplication> {
  if (platform === 'fastify') {
    // Loaded here only: the Express suites never load Fastify.
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return moduleRef.createNestApplication(new FastifyAdapter(trustProxy === undefined ? {} : { trustProxy }), { logger });
  }
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger });
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  return app;
}

/**
 * `describeEachDatabase` on both platforms: the same suite once per database and platform,
 * skipping (with the reason in the title) the databases this machine does not have.
 */
export function describeEachDatabaseAndPlatform(title: string, body: (kind: DatabaseKind, platform: TestPlatform) => void): void {
  for (const entry of databaseMatrix()) {
    for (const platform of PLATFORMS) {
      const name = `${title} on ${entry.label}, ${PLATFORM_LABELS[platform]}`;
      describe.skipIf(entry.skip !== null)(entry.skip === null ? name : `${name} (skipped: ${entry.skip})`, () => body(entry.kind, platform));
    }
  }
}

/** The same suite once per platform. */
export function describeEachPlatform(title: string, body: (platform: TestPlatform) => void): void {
  describe.each(PLATFORMS.map((platform) => [PLATFORM_LABELS[platform], platform] as const))(`${title} on %s`, (_label, platform) => body(platform));
}
