import { AxiosHttpClient, DEFAULT_HTTP_OPTIONS } from '../../src/adapters/http/axios-http-client';
import { describeHttpClientContract } from './http-client.contract';

describeHttpClientContract('AxiosHttpClient', (metrics, options) => new AxiosHttpClient(metrics, { ...DEFAULT_HTTP_OPTIONS, ...options }));
