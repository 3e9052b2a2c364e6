import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import yaml from 'js-yaml';
import { loadConfig, VARIABLES } from '../../../src/config/env';

const dir = path.resolve(__dirname, '../../../deploy/kubernetes');
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (file: string): Doc => yaml.load(readFileSync(path.join(dir, file), 'utf8')) as Doc;

describe('Kubernetes example', () => {
  const config = load('configmap.yaml');
  const deployment = load('deployment.yaml');
  /* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call */
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('configures only known variables, with valid values', () => {
    const data = config.data as Record<string, string>;
    for (const name of Object.keys(data)) assert.ok(name in VARIABLES, `${name} is a known variable`);
    assert.doesNotThrow(() => loadConfig({ ...data, HOSTNAME: 'pod-1' }));
  });

  it('runs several replicas in one consumer group with per-pod consumer names', () => {
    assert.ok(deployment.spec.replicas >= 2);
    assert.equal(config.data.EXECUTOR_CONSUMER_GROUP, 'executor-service');
    const hostname = container.env.find((e: Doc) => e.name === 'HOSTNAME');
    assert.equal(hostname.valueFrom.fieldRef.fieldPath, 'metadata.name');
  });

  it('gives the drain more time than EXECUTOR_SHUTDOWN_TIMEOUT before SIGKILL', () => {
    const shutdownMs = loadConfig({ EXECUTOR_SHUTDOWN_TIMEOUT: config.data.EXECUTOR_SHUTDOWN_TIMEOUT }).executor.shutdownTimeoutMs;
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > shutdownMs + 5000);
  });

  it('probes /healthz for liveness and /readyz for readiness on the health port, and requests resources', () => {
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    const health = container.ports.find((p: Doc) => p.name === 'health');
    assert.equal(String(health.containerPort), config.data.HEALTH_PORT);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  });

  it('refuses calls to private networks (CALL_DENY_PRIVATE_NETWORKS=true), unlike the local default', () => {
    assert.equal(config.data.CALL_DENY_PRIVATE_NETWORKS, 'true');
    assert.equal(loadConfig({ ...(config.data as Record<string, string>), HOSTNAME: 'pod-1' }).http.denyPrivateNetworks, true);
    assert.equal(loadConfig({}).http.denyPrivateNetworks, false, 'the default elsewhere stays off');
  });

  it('has a PodDisruptionBudget below the replica count and a metrics Service', () => {
    const pdb = load('pdb.yaml');
    assert.ok(pdb.spec.minAvailable < deployment.spec.replicas);
    const service = load('service.yaml');
    assert.equal(String(service.spec.ports[0].port), config.data.METRICS_PORT);
  });
  /* eslint-enable */
});

describe('container image', () => {
  const dockerfile = readFileSync(path.resolve(__dirname, '../../../Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));

  it('sets CALL_DENY_PRIVATE_NETWORKS=true in the runtime stage', () => {
    assert.match(runtime, /^ENV CALL_DENY_PRIVATE_NETWORKS=true$/m);
  });

  it('probes liveness (/healthz) in its HEALTHCHECK, not readiness: a Redis outage must not mark the container unhealthy', () => {
    const healthcheck = /^HEALTHCHECK .*$/m.exec(runtime)?.[0] ?? '';
    assert.match(healthcheck, /\/healthz'/);
    assert.doesNotMatch(healthcheck, /readyz/);
  });
});
