import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactDeep, redactSecretValue, redactText, redactUrl, secretForms } from '../../../src/domain/redaction';

const QUERY_SECRET = 'SENTINEL-5ECRET-xyz n+/=';
const QUOTED_TOKEN = 'tok"en\\with-quote';

/** `levels` objects nested in one another (built without recursion), with `leaf` innermost. */
function nested(levels: number, leaf: unknown, key = 'a'): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
}

function innermost(value: unknown, key = 'a'): unknown {
  let current = value;
  while (current !== null && typeof current === 'object' && key in current) current = (current as Record<string, unknown>)[key];
  return current;
}

describe('redactText', () => {
  it('blanks a secret sent as a query or form value (space as +, reserved characters percent-encoded)', () => {
    assert.equal(redactText('GET /x?k=SENTINEL-5ECRET-xyz+n%2B%2F%3D&page=2', [QUERY_SECRET]), 'GET /x?k=***&page=2');
    assert.equal(redactText(`url: /x?${new URLSearchParams({ k: QUERY_SECRET }).toString()}`, [QUERY_SECRET]), 'url: /x?k=***');
    assert.equal(redactText(`path /keys/${encodeURIComponent(QUERY_SECRET)}`, [QUERY_SECRET]), 'path /keys/***');
    assert.equal(redactText('k=sentinel: SENTINEL-5ECRET-xyz+n%2b%2f%3d', [QUERY_SECRET]), 'k=sentinel: ***', 'lower-case hex digits');
    assert.equal(redactText(`raw ${QUERY_SECRET}`, [QUERY_SECRET]), 'raw ***');
  });

  it("blanks the forms URLSearchParams and Go's QueryEscape give to !'()*~", () => {
    const secret = "it's(a)~secret*!";
    for (const form of [new URLSearchParams({ s: secret }).toString().slice(2), encodeURIComponent(secret), "it%27s%28a%29~secret%2A%21"]) {
      assert.equal(redactText(`s=${form}`, [secret]), 's=***', form);
    }
  });

  it('blanks a token containing a quote or a backslash as it appears in echoed JSON', () => {
    const echoed = JSON.stringify({ headers: { authorization: `Bearer ${QUOTED_TOKEN}` } });
    assert.equal(redactText(echoed, [QUOTED_TOKEN]), '{"headers":{"authorization":"Bearer ***"}}');
    assert.equal(redactText('{"url":"a\\/b\\/c-tail"}', ['a/b/c-tail']), '{"url":"***"}', 'a JSON writer that escapes slashes');
  });

  it('leaves secrets shorter than 4 characters alone', () => {
    assert.equal(redactText('a b c', ['a b']), 'a b c');
  });

  it('lists each form once, longest first', () => {
    const forms = secretForms(QUERY_SECRET);
    assert.equal(new Set(forms).size, forms.length);
    for (let i = 1; i < forms.length; i++) assert.ok(forms[i - 1]!.length >= forms[i]!.length);
    assert.ok(forms.includes('SENTINEL-5ECRET-xyz+n%2B%2F%3D'));
    assert.ok(forms.includes('SENTINEL-5ECRET-xyz%20n%2B%2F%3D'));
  });
});

describe('redactDeep', () => {
  it('blanks every form of a secret in every string of a payload', () => {
    const payload = { data: { url: 'http://api.test/x?k=SENTINEL-5ECRET-xyz+n%2B%2F%3D', echo: JSON.stringify({ token: QUOTED_TOKEN }) } };
    assert.deepEqual(redactDeep(payload, [], [QUERY_SECRET, QUOTED_TOKEN]), { data: { url: 'http://api.test/x?k=***', echo: '{"token":"***"}' } });
  });

  it('survives 100,000 levels of nesting without a RangeError, on the fast path and the copying path', () => {
    const plain = nested(100_000, 'nothing to hide');
    assert.equal(redactDeep(plain), plain, 'no copy when nothing is sensitive');

    const withSecret = redactDeep(nested(100_000, 'key sk-12345 here'), [], ['sk-12345']);
    assert.equal(innermost(withSecret), 'key *** here');

    const withKey = redactDeep(nested(100_000, { password: 'p', other: 'v' }));
    assert.deepEqual(innermost(withKey), { password: '***', other: 'v' });

    let deepArray: unknown = ['Bearer abc'];
    for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
    const hidden = redactDeep({ cookie: deepArray }) as { cookie: unknown };
    let cursor: unknown = hidden.cookie;
    while (Array.isArray(cursor) && Array.isArray(cursor[0])) cursor = cursor[0];
    assert.deepEqual(cursor, ['Bearer ***']);
  });

  it('keeps a `__proto__` key of parsed JSON as data', () => {
    const out = redactDeep(JSON.parse('{"__proto__": {"x": 1}, "password": "p"}'));
    assert.equal(JSON.stringify(out), '{"__proto__":{"x":1},"password":"***"}');
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  it('hides sensitive arrays element by element and keeps the scheme of a credential', () => {
    assert.deepEqual(redactSecretValue(['Bearer abc', 'plain', null, 3, ['Basic xyz']]), ['Bearer ***', '***', null, '***', ['Basic ***']]);
  });
});

describe('redactUrl', () => {
  it('drops user info up to the last @ of the authority, as URL parsers read it', () => {
    assert.equal(redactUrl('http://user:secret@api.test/x'), 'http://api.test/x');
    assert.equal(redactUrl('https://user:p@ss@api.test:8443/x?y=1'), 'https://api.test:8443/x?y=1');
    assert.equal(redactUrl('http://:token@api.test'), 'http://api.test');
    assert.equal(redactUrl('http://api.test/path/a@b'), 'http://api.test/path/a@b', 'an @ in the path is not user info');
    assert.equal(redactUrl('not a url: user:pw@host'), 'not a url: user:pw@host');
  });

  it('replaces the value of sensitive query and fragment parameters, whatever their case or encoding', () => {
    assert.equal(redactUrl('https://api.test/x?api_key=k1&page=2&access_token=t&TOKEN=z&apiKey=q'), 'https://api.test/x?api_key=***&page=2&access_token=***&TOKEN=***&apiKey=***');
    assert.equal(redactUrl('https://api.test/x?client%5Fsecret=s&q=token'), 'https://api.test/x?client%5Fsecret=***&q=token');
    assert.equal(redactUrl('https://api.test/cb#access_token=abc&state=1'), 'https://api.test/cb#access_token=***&state=1');
    assert.equal(redactUrl('https://api.test/x?k=v', ['k']), 'https://api.test/x?k=***');
    assert.equal(redactUrl('https://api.test/token=abc/x'), 'https://api.test/token=abc/x', 'the path is kept');
  });
});

describe('redaction of values that contain themselves', () => {
  it('ends: a cycle under a sensitive name or anywhere else is an error, never an endless loop', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    assert.throws(() => redactDeep({ token: 'x', nested: cycle }), /cycle/);
    assert.throws(() => redactDeep(cycle, [], ['secret-value']), /cycle/);
    assert.equal(redactDeep(cycle), cycle);
    const list: unknown[] = [1];
    list.push(list);
    assert.throws(() => redactDeep({ password: list }), /cycle/);
  });
  it('copies values shared without a cycle', () => {
    const shared = { id: 1 };
    assert.deepEqual(redactDeep({ x: shared, y: [shared, shared], token: 't0ken' }), { x: { id: 1 }, y: [{ id: 1 }, { id: 1 }], token: '***' });
  });
});
