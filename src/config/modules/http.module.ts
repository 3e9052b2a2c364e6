import { ContainerModule } from 'inversify';
import { HttpClient } from '../../application/ports/http-client.port';
import { Metrics } from '../../application/ports/metrics.port';
import { TOKENS } from '../../application/ports/tokens';
import { AxiosHttpClient, DEFAULT_HTTP_OPTIONS } from '../../adapters/http/axios-http-client';
import { AppConfig } from '../env';

/** Outbound HTTP (axios, keep-alive agents, transport retries, address policy). */
export const httpModule = new ContainerModule(({ bind }) => {
  bind<HttpClient>(TOKENS.HttpClient)
    .toResolvedValue(
      (metrics: Metrics, config: AppConfig) =>
        new AxiosHttpClient(metrics, {
          ...DEFAULT_HTTP_OPTIONS,
          maxResponseBytes: config.httpMaxResponseBytes,
          maxSocketsPerHost: config.httpMaxSocketsPerHost,
          transportRetries: config.httpTransportRetries,
          denyPrivateNetworks: config.callDenyPrivateNetworks,
        }),
      [TOKENS.Metrics, TOKENS.Config],
    )
    .onDeactivation((client: HttpClient) => client.close());
});
