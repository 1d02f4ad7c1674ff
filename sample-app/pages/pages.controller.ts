import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { FastifyReply } from 'fastify';
import { listAssets, sendPublicFile } from './public-files.js';

/**
 * The sign-in page at `/` and the pages' CSS and scripts at `/assets/<name>`. The "Active
 * sessions" page at `/account/sessions` comes from `SessionsPageMiddleware` (Express) or
 * `registerFastifyPages()` (Fastify), since its path belongs to the library's JSON API.
 */
@Controller()
export class PagesController {
  /** Only files that were in `public/` at startup, so no name can reach outside it. */
  private readonly assets = listAssets();

  @Get()
  signIn(@Res() res: Response | FastifyReply): void {
    sendPublicFile(res, 'index.html');
  }

  /** "Was this you?": where the new-device alert's links lead (see `NewDeviceListener`). */
  @Get('devices/answer')
  deviceAnswer(@Res() res: Response | FastifyReply): void {
    sendPublicFile(res, 'answer.html');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response | FastifyReply): void {
    if (!this.assets.has(name)) throw new NotFoundException();
    sendPublicFile(res, name);
  }
}
