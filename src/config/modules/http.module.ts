import { ContainerModule } from 'inversify';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { checkLiteralHost, guardedLookup } from '../../adapters/http/address-policy';
import { AxiosHttpClient, DEFAULT_HTTP_OPTIONS } from '../../adapters/http/axios-http-client';
import { DEFAULT_UNDICI_OPTIONS, UndiciHttpClient } from '../../adapters/http-undici/undici-http-client';
import { AppConfig } from '../env';

/** Outbound HTTP: undici (default) or axios (HTTP_CLIENT); keep-alive pools, transport retries, address policy. */
export const httpModule = new ContainerModule(({ bind }) => {
  bind<HttpClient>(TOKENS.HttpClient)
    .toResolvedValue(
      (metrics: Metrics, config: AppConfig) => {
        const shared = {
          maxResponseBytes: config.http.maxResponseBytes,
          maxSocketsPerHost: config.http.maxSocketsPerHost,
          transportRetries: config.http.transportRetries,
          denyPrivateNetworks: config.http.denyPrivateNetworks,
        };
        if (config.http.client === 'axios') return new AxiosHttpClient(metrics, { ...DEFAULT_HTTP_OPTIONS, ...shared });
        return new UndiciHttpClient(metrics, { ...DEFAULT_UNDICI_OPTIONS, ...shared, addressPolicy: { checkHost: checkLiteralHost, lookup: guardedLookup } });
      },
      [TOKENS.Metrics, TOKENS.Config],
    )
    .onDeactivation((client: HttpClient) => client.close());
});
