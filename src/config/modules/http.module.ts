import { ContainerModule } from 'inversify';
import { HttpClient } from '../../application/ports/http-client.port';
import { checkLiteralHost, guardedLookup } from '../../adapters/http/address-policy';
import { AxiosHttpClient, DEFAULT_HTTP_OPTIONS } from '../../adapters/http/axios-http-client';
import { DEFAULT_UNDICI_OPTIONS, UndiciHttpClient } from '../../adapters/http-undici/undici-http-client';
import { bindFactory } from '../binding';
import { HttpSettings } from '../env';
import { HTTP_CLIENT, METRICS } from '../tokens';

/** Outbound HTTP: undici (default) or axios (HTTP_CLIENT); keep-alive pools, transport retries, address policy. */
export function httpModule(http: HttpSettings): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bindFactory(bind, HTTP_CLIENT, [METRICS], (metrics): HttpClient => {
      const shared = {
        maxResponseBytes: http.maxResponseBytes,
        maxSocketsPerHost: http.maxSocketsPerHost,
        transportRetries: http.transportRetries,
        denyPrivateNetworks: http.denyPrivateNetworks,
      };
      if (http.client === 'axios') return new AxiosHttpClient(metrics, { ...DEFAULT_HTTP_OPTIONS, ...shared });
      return new UndiciHttpClient(metrics, { ...DEFAULT_UNDICI_OPTIONS, ...shared, addressPolicy: { checkHost: checkLiteralHost, lookup: guardedLookup } });
    }).onDeactivation((client) => client.close());
  });
}
