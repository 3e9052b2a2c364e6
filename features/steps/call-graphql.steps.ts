import { Given } from '@cucumber/cucumber';
import { buildSchema, graphqlSync } from 'graphql';
import nock from 'nock';
import { ExecutorWorld } from '../support/world';

/** The requests list the call steps read (`the API should have received …`, `the request body …`). */
function seen(world: ExecutorWorld): { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }[] {
  let list = world.bag.get('call.requests') as ReturnType<typeof seen> | undefined;
  if (!list) {
    list = [];
    world.bag.set('call.requests', list);
  }
  return list;
}

/**
 * A fake GraphQL peer: every POST to `path` runs on graphql-js against the schema given in SDL,
 * fields answered from `rootValue` (JSON; a field whose value is the string "error: …" fails with
 * that message). Introspection works, so `validate: true` can be exercised.
 */
function serveGraphql(world: ExecutorWorld, origin: string, path: string, sdl: string, rootJson: string): void {
  const schema = buildSchema(sdl);
  const values = JSON.parse(rootJson) as Record<string, unknown>;
  const rootValue: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(values)) {
    rootValue[field] = () => {
      if (typeof value === 'string' && value.startsWith('error: ')) throw new Error(value.slice('error: '.length));
      return value;
    };
  }
  nock(origin)
    .post(path)
    .times(20)
    .reply(function (uri, requestBody) {
      const text = typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody);
      seen(world).push({ method: this.req.method, path: uri, headers: this.req.headers, body: text });
      const body = JSON.parse(text) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      const result = graphqlSync({ schema, source: body.query, rootValue, variableValues: body.variables ?? null, operationName: body.operationName ?? null });
      return [200, JSON.stringify(result), { 'Content-Type': 'application/json' }];
    });
}

Given('the GraphQL API {string} at {string} has the schema:', function (this: ExecutorWorld, origin: string, path: string, sdl: string) {
  this.bag.set('graphql.peer', { origin, path, sdl });
});

Given('it answers with the root values:', function (this: ExecutorWorld, rootJson: string) {
  const peer = this.bag.get('graphql.peer') as { origin: string; path: string; sdl: string } | undefined;
  if (!peer) throw new Error('no GraphQL API described yet');
  serveGraphql(this, peer.origin, peer.path, peer.sdl, rootJson);
});
