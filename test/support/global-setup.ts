import type { TestProject } from 'vitest/node';
import { probeTcp, requiredServices, SERVICES, type ServiceName, type ServiceProbe } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceProbe;
  }
}

/**
 * Probes PostgreSQL, MariaDB and Redis once for the whole run. A missing service skips its suites
 * with a one-line reason; with USER_SESSIONS_REQUIRE naming it (as `.ci/run` does), the run fails.
 */
export default async function setup(project: TestProject): Promise<void> {
  const required = requiredServices();
  const probe = {} as ServiceProbe;
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    const { label, host, port } = SERVICES[name];
    const reason = await probeTcp(host, port);
    probe[name] = reason;
    if (reason !== null) {
      if (required.has(name)) {
        throw new Error(`${label} is required (USER_SESSIONS_REQUIRE) but ${reason}`);
      }
      console.log(`[skip] ${label} suites: ${reason}`);
    }
  }
  project.provide('services', probe);
}
