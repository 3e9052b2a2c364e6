import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common, parse, Root, Type } from 'protobufjs';
import { checkArguments } from '../../../src/adapters/grpc/proto-arguments';
import { isWorkflowError } from '../../../src/domain/workflow-error';

const PROTO = `syntax = "proto3";
package demo;
import "google/protobuf/any.proto";
enum Mood { MOOD_UNSPECIFIED = 0; HAPPY = 1; GRUMPY = 2; }
message Address { string street = 1; uint32 number = 2; }
message Person {
  string name = 1;
  int64 id = 2;
  Mood mood = 3;
  repeated string tags = 4;
  map<string, Address> addresses = 5;
  map<int32, bool> flags = 6;
  bytes badge = 7;
  bool active = 8;
  double score = 9;
  oneof contact { string email = 10; string phone = 11; }
  repeated Address past = 12;
  uint64 big = 13;
  int32 small = 14;
  google.protobuf.Any extra = 15;
}
message HelloRequest { Person person = 1; }
`;

const root = new Root();
root.addJSON(common.get('google/protobuf/any.proto')!.nested!);
parse(PROTO, root, { keepCase: true });
root.resolveAll();
const request = root.lookupType('demo.HelloRequest');

/** The configuration error's message for `value`, or undefined when it is accepted. */
function refusal(value: unknown, type: Type = request): string | undefined {
  try {
    checkArguments(type, value, 'grpc call: demo.Greeter/SayHello');
    return undefined;
  } catch (error) {
    assert.ok(isWorkflowError(error), String(error));
    assert.equal(error.kind, 'configuration');
    return error.message;
  }
}

describe('gRPC arguments checked against the request message', () => {
  it('refuses a misspelt field, naming its path and the fields there are', () => {
    assert.equal(refusal({ persn: { name: 'Ada' } }), 'grpc call: demo.Greeter/SayHello: with.arguments.persn is not a field of demo.HelloRequest (fields: person)');
    assert.equal(refusal({ person: { name: 'Ada', nmae: 'x' } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.nmae is not a field of demo.Person (fields: name, id, mood, tags, addresses, flags, badge, active, score, email, ...)');
  });

  it('refuses a non-numeric integer and an integer out of range', () => {
    assert.equal(refusal({ person: { id: 'notanumber' } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.id must be a whole number (int64; 64-bit values may be decimal digits in a string), got "notanumber"');
    assert.equal(refusal({ person: { small: 2 ** 31 } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.small is out of range for int32 (-2147483648 to 2147483647), got 2147483648');
    assert.equal(refusal({ person: { big: '-1' } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.big is out of range for uint64 (0 to 18446744073709551615), got "-1"');
    assert.equal(refusal({ person: { small: 1.5 } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.small must be a whole number (int32; 64-bit values may be decimal digits in a string), got 1.5');
  });

  it('refuses an unknown enum name, listing the values', () => {
    assert.equal(refusal({ person: { mood: 'NOPE' } }), 'grpc call: demo.Greeter/SayHello: with.arguments.person.mood is not a value of enum demo.Mood: "NOPE" (values: MOOD_UNSPECIFIED, HAPPY, GRUMPY)');
  });

  it('refuses values that do not fit: bool, bytes, repeated, map keys and values, nested messages, two members of a oneof', () => {
    assert.match(refusal({ person: { active: 'false' } }) ?? '', /with\.arguments\.person\.active must be true or false \(bool\), got "false"$/);
    assert.match(refusal({ person: { badge: 'not base64!' } }) ?? '', /with\.arguments\.person\.badge must be base64 text \(bytes\)/);
    assert.match(refusal({ person: { tags: 'one' } }) ?? '', /with\.arguments\.person\.tags must be an array \(repeated string\), got "one"$/);
    assert.match(refusal({ person: { tags: ['one', 2] } }) ?? '', /with\.arguments\.person\.tags\[1\] must be a string, got 2$/);
    assert.match(refusal({ person: { flags: { x: true } } }) ?? '', /with\.arguments\.person\.flags\["x"\] must be a whole number \(int32/);
    assert.match(refusal({ person: { addresses: { home: { number: -1 } } } }) ?? '', /with\.arguments\.person\.addresses\["home"\]\.number is out of range for uint32/);
    assert.match(refusal({ person: { past: [{ street: 'a' }, { stret: 'b' }] } }) ?? '', /with\.arguments\.person\.past\[1\]\.stret is not a field of demo\.Address/);
    assert.match(refusal({ person: 'Ada' }) ?? '', /with\.arguments\.person must be an object \(message demo\.Person\), got "Ada"$/);
    assert.match(refusal({ person: { email: 'a@b', phone: '1' } }) ?? '', /with\.arguments\.person\.phone and with\.arguments\.person\.email are both members of oneof contact: set only one$/);
    assert.match(refusal({ person: { contact: 'fax' } }) ?? '', /with\.arguments\.person\.contact must name one member of oneof contact \(email, phone\), got "fax"$/);
    assert.match(refusal({ person: { extra: { '@type': 'type.googleapis.com/demo.Nope' } } }) ?? '', /with\.arguments\.person\.extra\.@type names no message type/);
    assert.equal(refusal('Ada'), 'grpc call: demo.Greeter/SayHello: with.arguments must be an object (message demo.HelloRequest), got "Ada"');
  });

  it('accepts a valid complex message, and what protobufjs encodes is what was given', () => {
    const person = {
      name: 'Ada', id: '9223372036854775807', mood: 'HAPPY', tags: ['a', 'b'], addresses: { home: { street: 'Main', number: 7 } }, flags: { '-3': true },
      badge: Buffer.from('hi').toString('base64'), active: false, score: 1.5, phone: '123', contact: 'phone', past: [{ street: 'Old' }], big: '18446744073709551615', small: -5,
      extra: { '@type': 'type.googleapis.com/demo.Address', street: 'Any' },
    };
    assert.equal(refusal({ person }), undefined);
    assert.equal(refusal({ person: { mood: 2, id: 42, name: null } }), undefined, 'enum numbers, safe integers and null (unset) fit');
    const decoded = request.toObject(request.decode(request.encode(request.fromObject({ person })).finish()), { longs: String, enums: String }) as { person: Record<string, unknown> };
    assert.equal(decoded.person['id'], '9223372036854775807');
    assert.equal(decoded.person['mood'], 'HAPPY');
  });
});
