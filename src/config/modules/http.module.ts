import { ContainerModule } from 'inversify';
import { HttpClient } from '../../application/ports/http-client.port';
import { AxiosHttpClient } from '../../adapters/http/axios-http-client';
import { DEFAULT_HTTP_CLIENT_SETTINGS, HttpClientSettings } from '../../adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../adapters/http/undici-http-client';
import { TracingHttpClient } from '../../adapters/otel/tracing-http-client';
import { bindFactory } from '../binding';
import { HttpSettings } from '../env';
import { HTTP_CLIENT, METRICS } from '../tokens';

/**
 * Outbound HTTP: undici (default) or axios (HTTP_CLIENT); keep-alive pools, transport retries,
 * address policy; with tracing on, every request a client span carrying `traceparent`.
 */
export function httpModule(http: HttpSettings, traced = false): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, HTTP_CLIENT, [METRICS], (metrics): HttpClient => {
      const settings: HttpClientSettings = {
        ...DEFAULT_HTTP_CLIENT_SETTINGS,
        maxResponseBytes: http.maxResponseBytes,
        maxSocketsPerHost: http.maxSocketsPerHost,
        transportRetries: http.transportRetries,
        denyPrivateNetworks: http.denyPrivateNetworks,
      };
      const client = http.client === 'axios' ? new AxiosHttpClient(metrics, settings) : new UndiciHttpClient(metrics, settings);
      return traced ? new TracingHttpClient(client) : client;
    }).onDeactivation((client) => client.close());
  });
}
