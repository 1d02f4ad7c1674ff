import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { extname } from 'node:path';
import { ASSET_TYPES, listAssets, PUBLIC_DIR, sendPage } from './public-files.js';

/**
 * The sign-in page at `/` and the pages' CSS and scripts at `/assets/<name>`. The "Active
 * sessions" page at `/account/sessions` comes from `SessionsPageMiddleware`, since its path
 * belongs to the library's JSON API.
 */
@Controller()
export class PagesController {
  /** Only files that were in `public/` at startup, so no name can reach outside it. */
  private readonly assets = listAssets();

  @Get()
  signIn(@Res() res: Response): void {
    sendPage(res, 'index.html');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    if (!this.assets.has(name)) throw new NotFoundException();
    res.sendFile(name, {
      root: PUBLIC_DIR,
      headers: { 'Content-Type': ASSET_TYPES[extname(name)], 'X-Content-Type-Options': 'nosniff' },
    });
  }
}
