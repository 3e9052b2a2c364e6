import { ContainerModule } from 'inversify';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { AxiosHttpClient } from '../../adapters/http/axios-http-client';
import { DEFAULT_HTTP_CLIENT_SETTINGS, HttpClientSettings } from '../../adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../adapters/http/undici-http-client';
import { AppConfig } from '../env';

/** Outbound HTTP: undici (default) or axios (HTTP_CLIENT); keep-alive pools, transport retries, address policy. */
export const httpModule = new ContainerModule(({ bind }) => {
  bind<HttpClient>(TOKENS.HttpClient)
    .toResolvedValue(
      (metrics: Metrics, config: AppConfig) => {
        const settings: HttpClientSettings = {
          ...DEFAULT_HTTP_CLIENT_SETTINGS,
          maxResponseBytes: config.httpMaxResponseBytes,
          maxSocketsPerHost: config.httpMaxSocketsPerHost,
          transportRetries: config.httpTransportRetries,
          denyPrivateNetworks: config.callDenyPrivateNetworks,
        };
        return config.httpClient === 'axios' ? new AxiosHttpClient(metrics, settings) : new UndiciHttpClient(metrics, settings);
      },
      [TOKENS.Metrics, TOKENS.Config],
    )
    .onDeactivation((client: HttpClient) => client.close());
});
