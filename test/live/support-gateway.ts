import type { Env } from '../../src/config/index.js';
import type { GatewayOptions } from '../../src/gateway.js';
import { TOKENS, accessGateway, bearer, flat, tokensEnv, tokensFiles, type AccessGateway } from '../access/support.js';
import { listen } from './support.js';

export { TOKENS, bearer, flat };

export interface LiveGateway extends AccessGateway {
  readonly url: string;
  /** Stores records through POST /ingest/sessions (as the unlimited shipper); resolves once they are committed. */
  ingest(records: readonly Record<string, unknown>[]): Promise<void>;
  metricsText(): Promise<string>;
}

/** A listening gateway on the in-memory store with the test tokens, a fast tail interval, and `env` on top. */
export async function liveGateway(env: Env = {}, options: GatewayOptions & { files?: Record<string, string> } = {}): Promise<LiveGateway> {
  const gw = await accessGateway({ ...tokensEnv, LIVE_TAIL_INTERVAL: '50ms', LIVE_TRAFFIC_MIN_EVERY: '1s', ...env }, { files: tokensFiles, logLevel: 'warn', ...options });
  const url = await listen(gw);
  return Object.assign(gw, {
    url,
    async ingest(records: readonly Record<string, unknown>[]) {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/ingest/sessions',
        headers: { ...bearer(TOKENS.shipper), 'content-type': 'application/json' },
        payload: JSON.stringify(records),
      });
      const body = res.json() as { accepted: number; rejected: number };
      if (res.statusCode !== 200 || body.rejected !== 0) throw new Error(`ingest answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    },
    async metricsText() {
      return (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    },
  });
}

/** The parameters of connection_init for a token. */
export const init = (token: string) => ({ authorization: `Bearer ${token}` });
