import { Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RequestSessionService } from './request-session.service.js';
import { commitBeforeSending } from './session-commit.js';

/** The parts of Fastify's reply the hook uses (typed here: Fastify is an optional platform). */
interface FastifyReplyLike {
  statusCode: number;
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  getHeaders(): Record<string, unknown>;
  removeHeader(name: string): unknown;
}

type OnSendDone = (error: Error | null, payload?: unknown) => void;

interface FastifyInstanceLike {
  addHook(name: 'onSend', hook: (request: object, reply: FastifyReplyLike, payload: unknown, done: OnSendDone) => void): unknown;
}

/**
 * On Fastify, commits the session in an `onSend` hook, before Fastify writes the headers.
 * The middleware's way (wrapping the Node.js response's `end`) is too late there: Fastify
 * writes the status and headers with `writeHead()` before `end()`, so a cookie set then
 * would never leave, and a failed write could no longer become a 503. The hook sees every
 * reply of the app's routes, errors and 404s included; nothing to write (the common case)
 * sets the cookie and lets the reply go at once, as on Express. The middleware still wraps
 * `end` for responses that bypass the reply (a middleware that ends the Node.js response):
 * after the hook it finds nothing left to do.
 */
@Injectable()
export class UserSessionsFastifyHook implements OnModuleInit {
  private readonly logger = new Logger('UserSessions');

  constructor(
    private readonly requests: RequestSessionService,
    // Absent in an application context without HTTP (a CLI, a worker).
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    // Added while the app initialises, before Fastify is ready: Fastify then applies it to
    // every route, those Nest has registered already included.
    adapter.getInstance<FastifyInstanceLike>().addHook('onSend', (request, reply, payload, done) => {
      commitBeforeSending(this.requests, this.logger, request, reply, reply.statusCode, {
        send: () => done(null, payload),
        refuse: (status, error) => {
          // Fastify would neither send nor close the payload it is no longer given.
          (payload as { destroy?: () => void } | null)?.destroy?.();
          for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
          reply.code(status);
          reply.header('content-type', 'application/json; charset=utf-8');
          done(null, JSON.stringify(error));
        },
      });
    });
  }
}
