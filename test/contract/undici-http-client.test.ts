import { checkLiteralHost, guardedLookup } from '../../src/adapters/http/address-policy';
import { DEFAULT_UNDICI_OPTIONS, UndiciHttpClient } from '../../src/adapters/http-undici/undici-http-client';
import { describeHttpClientContract } from './http-client.contract';

describeHttpClientContract(
  'UndiciHttpClient',
  (metrics, options) => new UndiciHttpClient(metrics, { ...DEFAULT_UNDICI_OPTIONS, ...options, addressPolicy: { checkHost: checkLiteralHost, lookup: guardedLookup } }),
);
