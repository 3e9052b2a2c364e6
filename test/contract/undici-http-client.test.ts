import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { UndiciHttpClient } from '../../src/adapters/http/undici-http-client';
import { describeHttpClientContract } from './http-client.contract';

describeHttpClientContract('UndiciHttpClient', (metrics, options) => new UndiciHttpClient(metrics, { ...DEFAULT_HTTP_CLIENT_SETTINGS, ...options }));
