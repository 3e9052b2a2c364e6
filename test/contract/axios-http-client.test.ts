import { AxiosHttpClient } from '../../src/adapters/http/axios-http-client';
import { DEFAULT_HTTP_CLIENT_SETTINGS } from '../../src/adapters/http/http-client-settings';
import { describeHttpClientContract } from './http-client.contract';

describeHttpClientContract('AxiosHttpClient', (metrics, options) => new AxiosHttpClient(metrics, { ...DEFAULT_HTTP_CLIENT_SETTINGS, ...options }));
