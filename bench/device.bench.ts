import { bench, describe } from 'vitest';
import { clearDeviceCache, device } from '../lib/details/device.js';

// device() cold (every call parses) against warm (the LRU answers), side by side in one run:
// a sessions page lists many sessions of few browsers, so warm is the common case.
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
];
let next = 0;

describe('device()', () => {
  bench('cold: parse every call', () => {
    clearDeviceCache();
    device(USER_AGENTS[next++ % USER_AGENTS.length]);
  });

  bench('warm: cached by user agent', () => {
    device(USER_AGENTS[next++ % USER_AGENTS.length]);
  });
});
